package dev.llmplatform.worker.core.llama;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * llama.cpp's own quantizer (llama_model_quantize, what the llama-quantize tool runs) through the binding: reads an
 * F32/F16/BF16 GGUF and writes the same model with its weights in the target type. K-quant tensors whose rows are not
 * a multiple of 256 fall back to a type llama.cpp chooses (it logs which), as llama-quantize does.
 */
public final class LlamaQuantizer {

    private final LlamaLibrary library;

    public LlamaQuantizer(LlamaLibrary library) {
        this.library = library;
    }

    /**
     * Writes {@code target} from {@code source}. Blocks for as long as quantizing takes (seconds for a small model,
     * minutes for billions of weights); run it off request threads.
     *
     * @param threads quantizer threads; 0 lets llama.cpp use every core
     * @throws IllegalArgumentException for a type that is not a quantized target
     * @throws IllegalStateException    when llama.cpp fails (it logs why: an unreadable file, an unsupported tensor)
     */
    public void quantize(Path source, Path target, QuantizationType type, int threads) {
        quantize(source, target, type, threads, fraction -> { });
    }

    /**
     * The same, telling {@code progress} the share of tensors done (0..1) as llama.cpp logs each one ("[ 12/ 57]
     * blk.1.attn_q.weight ..."); called on this thread, from inside llama.cpp, so it must return quickly and not throw.
     */
    public void quantize(Path source, Path target, QuantizationType type, int threads, java.util.function.DoubleConsumer progress) {
        RuntimeException[] failure = new RuntimeException[1];
        LlamaLibrary.withLogListener(line -> {
            var tensor = TENSOR_DONE.matcher(line);
            if (tensor.find()) {
                progress.accept(Double.parseDouble(tensor.group(1)) / Math.max(1, Double.parseDouble(tensor.group(2))));
            }
        }, () -> {
            try {
                run(source, target, type, threads);
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    private static final java.util.regex.Pattern TENSOR_DONE = java.util.regex.Pattern.compile("^\\[\\s*(\\d+)/\\s*(\\d+)\\]");

    private void run(Path source, Path target, QuantizationType type, int threads) {
        if (type.isSource() || !type.needsNoImportanceMatrix()) {
            throw new IllegalArgumentException(type + " is not a type the quantizer makes without an importance matrix");
        }
        if (!Files.isRegularFile(source)) {
            throw new IllegalArgumentException("model file " + source + " does not exist");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = defaults(arena);
            params.set(JAVA_INT, LlamaStructs.offset(LlamaStructs.QUANTIZE_PARAMS, "nthread"), Math.max(threads, 0));
            params.set(JAVA_INT, LlamaStructs.offset(LlamaStructs.QUANTIZE_PARAMS, "ftype"), type.ftype);
            int failed = (int) library.modelQuantize.invokeExact(arena.allocateFrom(source.toString()),
                    arena.allocateFrom(target.toString()), params);
            if (failed != 0) {
                throw new IllegalStateException("llama.cpp could not quantize " + source.getFileName() + " to " + type
                        + " (see the worker's log)");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("llama_model_quantize failed: " + e, e);
        }
    }

    /** llama_model_quantize_default_params, as llama.cpp fills it. */
    public MemorySegment defaults(Arena arena) {
        try {
            return (MemorySegment) library.modelQuantizeDefaultParams.invokeExact((SegmentAllocator) arena);
        } catch (Throwable e) {
            throw new IllegalStateException("llama_model_quantize_default_params failed: " + e, e);
        }
    }
}
