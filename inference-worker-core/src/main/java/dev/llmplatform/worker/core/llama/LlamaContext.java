package dev.llmplatform.worker.core.llama;

import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * One GGUF model with one llama_context over it: weights (offloaded to the GPU when {@code gpuLayers} allows) and
 * a KV cache for {@code sequences} sequences of {@code contextPerSequence} tokens each, kept in GPU memory when the
 * CUDA back end runs. Not thread-safe: the engine's decode loop is its only user after construction.
 */
public final class LlamaContext implements AutoCloseable {

    /** How to build the context. {@code gpuLayers} &lt; 0 offloads every layer; {@code threads} 0 lets llama.cpp choose. */
    public record Settings(int gpuLayers, int sequences, int contextPerSequence, int batchTokens, int threads) {
    }

    /** LLAMA_STATE_SEQ_FLAGS_NONE: a sequence's whole state, copied to the host. */
    private static final int STATE_SEQ_FLAGS_NONE = 0;

    private final LlamaLibrary library;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment model;
    private final MemorySegment context;
    private final MemorySegment vocabulary;
    private final MemorySegment memory;
    private final int vocabularySize;
    private final int contextPerSequence;
    private final long modelBytes;
    private MemorySegment pieceBuffer = arena.allocate(256);
    private volatile int[] endOfGenerationTokens;
    private boolean closed;

    public LlamaContext(LlamaLibrary library, Path gguf, Settings settings) {
        this.library = library;
        if (!Files.isRegularFile(gguf)) {
            throw new IllegalArgumentException("model file " + gguf + " does not exist");
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment modelParams = (MemorySegment) library.modelDefaultParams.invokeExact((SegmentAllocator) scratch);
            modelParams.set(JAVA_INT, LlamaStructs.offset(LlamaStructs.MODEL_PARAMS, "n_gpu_layers"), settings.gpuLayers());
            model = (MemorySegment) library.modelLoadFromFile.invokeExact(scratch.allocateFrom(gguf.toString()), modelParams);
            if (model.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("llama.cpp could not load " + gguf);
            }
            MemorySegment contextParams = (MemorySegment) library.contextDefaultParams.invokeExact((SegmentAllocator) scratch);
            setInt(contextParams, "n_ctx", settings.sequences() * settings.contextPerSequence());
            setInt(contextParams, "n_batch", settings.batchTokens());
            setInt(contextParams, "n_ubatch", settings.batchTokens());
            setInt(contextParams, "n_seq_max", settings.sequences());
            if (settings.threads() > 0) {
                setInt(contextParams, "n_threads", settings.threads());
                setInt(contextParams, "n_threads_batch", settings.threads());
            }
            // one KV buffer shared by all sequences: llama.cpp then decodes a step in one ubatch whatever its mix of
            // sequences. With a stream per sequence it splits a step into ubatches of consecutive sequence ids with
            // equal token counts, so a prompt chunk beside decoding sequences cost extra passes over the weights.
            // Flash attention (llama.cpp's choice on CPU) skips other sequences' cells; the engine keeps every
            // sequence within contextPerSequence, so the sequences together never outgrow the buffer.
            contextParams.set(JAVA_BOOLEAN, LlamaStructs.offset(LlamaStructs.CONTEXT_PARAMS, "kv_unified"), true);
            contextParams.set(JAVA_BOOLEAN, LlamaStructs.offset(LlamaStructs.CONTEXT_PARAMS, "offload_kqv"), true);
            context = (MemorySegment) library.initFromModel.invokeExact(model, contextParams);
            if (context.equals(MemorySegment.NULL)) {
                library.modelFree.invokeExact(model);
                throw new IllegalStateException("llama.cpp could not create a context for " + gguf);
            }
            vocabulary = (MemorySegment) library.modelGetVocab.invokeExact(model);
            memory = (MemorySegment) library.getMemory.invokeExact(context);
            vocabularySize = (int) library.vocabNTokens.invokeExact(vocabulary);
            // unified, llama.cpp's n_ctx_seq is the whole buffer: a sequence's share is the engine's to keep
            contextPerSequence = Math.min(settings.contextPerSequence(), (int) library.nCtx.invokeExact(context) / settings.sequences());
            modelBytes = (long) library.modelSize.invokeExact(model);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot load " + gguf + ": " + e, e);
        }
    }

    private static void setInt(MemorySegment struct, String field, int value) {
        struct.set(JAVA_INT, LlamaStructs.offset(LlamaStructs.CONTEXT_PARAMS, field), value);
    }

    public LlamaBatch newBatch(int capacity) {
        return new LlamaBatch(library, arena, capacity);
    }

    public LlamaSampler newSampler(LlamaSampler.Settings settings) {
        return new LlamaSampler(library, vocabulary, vocabularySize, settings);
    }

    /** Runs the model over the batch; 0 on success, 1 when the KV cache has no room, other values on errors. */
    public int decode(LlamaBatch batch) {
        try {
            return (int) library.decode.invokeExact(context, batch.struct());
        } catch (Throwable e) {
            throw new IllegalStateException("llama_decode failed: " + e, e);
        }
    }

    /** The token of generated position {@code position} (see {@link LlamaSampler}) from batch index {@code outputIndex}. */
    public int sample(LlamaSampler sampler, int outputIndex, int position) {
        return sampler.sample(context, outputIndex, position);
    }

    /** The raw logits of batch index {@code outputIndex} after the last decode, one per vocabulary token. */
    public float[] logits(int outputIndex) {
        try {
            MemorySegment logits = (MemorySegment) library.getLogitsIth.invokeExact(context, outputIndex);
            if (logits.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("llama.cpp has no logits for batch index " + outputIndex);
            }
            return logits.reinterpret(4L * vocabularySize).toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("llama_get_logits_ith failed: " + e, e);
        }
    }

    /** Frees a sequence's KV cells so the next sequence with that id starts empty. */
    public void forget(int seqId) {
        forget(seqId, -1);
    }

    /** Frees a sequence's KV cells from position {@code from} on (-1: all), keeping the prefix before it. */
    public void forget(int seqId, int from) {
        try {
            boolean removed = (boolean) library.memorySeqRm.invokeExact(memory, seqId, from, -1);
            if (!removed) {
                throw new IllegalStateException("llama.cpp kept sequence " + seqId + " in the KV cache");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("llama_memory_seq_rm failed: " + e, e);
        }
    }

    /**
     * A copy of one sequence's KV cells (positions and keys and values) in memory allocated from {@code arena}, the
     * host's even when the cache lives on a GPU; empty when the sequence holds no cells or llama.cpp could not copy
     * them.
     */
    public java.util.Optional<MemorySegment> copySequence(int seqId, Arena arena) {
        try {
            long size = (long) library.stateSeqGetSize.invokeExact(context, seqId, STATE_SEQ_FLAGS_NONE);
            if (size <= 0) {
                return java.util.Optional.empty();
            }
            MemorySegment copy = arena.allocate(size);
            long written = (long) library.stateSeqGetData.invokeExact(context, copy, size, seqId, STATE_SEQ_FLAGS_NONE);
            return written == size ? java.util.Optional.of(copy) : java.util.Optional.empty();
        } catch (Throwable e) {
            throw new IllegalStateException("llama_state_seq_get_data failed: " + e, e);
        }
    }

    /**
     * Puts a copy made by {@link #copySequence} into sequence {@code seqId}, in place of whatever it held. False when
     * the KV cache had no room for it: the sequence is then empty.
     */
    public boolean restoreSequence(int seqId, MemorySegment copy) {
        try {
            long read = (long) library.stateSeqSetData.invokeExact(context, copy, copy.byteSize(), seqId, STATE_SEQ_FLAGS_NONE);
            return read > 0;
        } catch (Throwable e) {
            throw new IllegalStateException("llama_state_seq_set_data failed: " + e, e);
        }
    }

    /** The vocabulary's end-of-sequence token: one of its end-of-generation tokens, not necessarily the only one. */
    public int endOfSequence() {
        try {
            return (int) library.vocabEos.invokeExact(vocabulary);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether generation ends at this token: EOS, EOT, EOM and every other token llama.cpp's vocabulary marks so. */
    public boolean isEndOfGeneration(int token) {
        try {
            return (boolean) library.vocabIsEog.invokeExact(vocabulary, token);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every token at which generation ends ({@link #isEndOfGeneration}), found once by asking about each token of
     * the vocabulary, as llama-server does for ignore_eos (llama.cpp has no call that lists them).
     */
    public int[] endOfGenerationTokens() {
        int[] found = endOfGenerationTokens;
        if (found == null) {
            found = IntStream.range(0, vocabularySize).filter(this::isEndOfGeneration).toArray();
            endOfGenerationTokens = found;
        }
        return found.clone();
    }

    /** The bytes a token stands for (control tokens render as nothing); may be part of a UTF-8 character. */
    public byte[] piece(int token) {
        try {
            int length = (int) library.tokenToPiece.invokeExact(vocabulary, token, pieceBuffer, (int) pieceBuffer.byteSize(), 0, false);
            if (length < 0) {
                pieceBuffer = arena.allocate(-length);
                length = (int) library.tokenToPiece.invokeExact(vocabulary, token, pieceBuffer, (int) pieceBuffer.byteSize(), 0, false);
            }
            return Arrays.copyOf(pieceBuffer.asSlice(0, Math.max(length, 0)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), Math.max(length, 0));
        } catch (Throwable e) {
            throw new IllegalStateException("llama_token_to_piece failed: " + e, e);
        }
    }

    /**
     * Tokens of a text, with the model's BOS and with special tokens parsed. The worker itself receives token ids
     * (the tokenizer service makes them); this serves tools such as the decode benchmark.
     */
    public int[] tokenize(String text) {
        try (Arena scratch = Arena.ofConfined()) {
            byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            MemorySegment bytes = scratch.allocate(utf8.length + 1L);
            bytes.copyFrom(MemorySegment.ofArray(utf8));
            int capacity = utf8.length + 8;
            MemorySegment tokens = scratch.allocate(JAVA_INT, capacity);
            int count = (int) library.tokenize.invokeExact(vocabulary, bytes, utf8.length, tokens, capacity, true, true);
            if (count < 0) {
                throw new IllegalStateException("llama_tokenize needs room for " + -count + " tokens");
            }
            return tokens.asSlice(0, JAVA_INT.byteSize() * count).toArray(JAVA_INT);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("llama_tokenize failed: " + e, e);
        }
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /** Tokens each sequence may hold (llama.cpp pads the per-sequence size up to a multiple of 256). */
    public int contextPerSequence() {
        return contextPerSequence;
    }

    public long modelBytes() {
        return modelBytes;
    }

    /** Frees the context (KV cache, compute buffers) and the model (weights, the file's mapping). */
    @Override
    public synchronized void close() {
        if (closed) {
            return; // a second free would crash the process
        }
        closed = true;
        try {
            library.free.invokeExact(context);
            library.modelFree.invokeExact(model);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot free llama.cpp context: " + e, e);
        } finally {
            arena.close();
            library.releaseFreedMemory();
        }
    }
}
