package dev.llmplatform.tokenizer.infra;

import dev.llmplatform.commons.gguf.GgufMetadata;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A model's vocabulary and chat template without its weights: a GGUF that keeps the source's {@code tokenizer.*}
 * metadata (tokens, scores, types, merges, special tokens, pre-tokenizer, chat template) and {@code general.name},
 * over a one-layer llama of width {@value #WIDTH} whose tensors are zeros. llama.cpp tokenizes and renders templates
 * from the metadata alone, so the tokenizer service gets the same tokens and prompts from it while the weights are
 * never mapped: llama.cpp prefetches a model's whole mapping, so opening the real file costs its size in memory
 * (a 428 MB model: 515 MB of RSS; this file: a few MB).
 * <p>
 * Written once per source file (keyed by its path, size and modification time) into a folder of the service's own;
 * a copy being written never shows under the final name.
 */
final class VocabularyFile {

    static final int WIDTH = 16;
    private static final int ALIGNMENT = 32;
    private static final int TYPE_UINT32 = 4;
    private static final int TYPE_FLOAT32 = 6;
    private static final int TYPE_STRING = 8;
    private static final int GGML_TYPE_F32 = 0;

    private VocabularyFile() {
    }

    /** The vocabulary-only file of {@code gguf} in {@code dir}, written now unless it is there already. */
    static Path of(Path gguf, Path dir) throws IOException {
        Path target = dir.resolve(key(gguf) + ".vocab.gguf");
        if (Files.isRegularFile(target)) {
            return target;
        }
        Files.createDirectories(dir);
        Path partial = Files.createTempFile(dir, "vocab-", ".partial");
        try {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(gguf), 1 << 16);
                 OutputStream out = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16)) {
                write(in, out);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private static String key(Path gguf) throws IOException {
        Path real = gguf.toRealPath();
        String identity = real + "|" + Files.size(real) + "|" + Files.getLastModifiedTime(real).toMillis();
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies the tokenizer's metadata of the GGUF in {@code in} and writes the stand-in network after it. */
    static void write(InputStream in, OutputStream out) throws IOException {
        List<GgufMetadata.Entry> kept = new ArrayList<>();
        long vocabularySize = -1;
        for (GgufMetadata.Entry entry : GgufMetadata.entries(in)) {
            if (entry.key().equals("tokenizer.ggml.tokens") && entry.value() instanceof GgufMetadata.ArrayLength tokens) {
                vocabularySize = tokens.length();
            }
            if (entry.key().startsWith("tokenizer.") || entry.key().equals("general.name")) {
                kept.add(entry);
            }
        }
        if (vocabularySize <= 0) {
            throw new IOException("the GGUF has no vocabulary (tokenizer.ggml.tokens)");
        }

        var target = new LittleEndianOutput(out);
        List<Tensor> tensors = standInTensors(vocabularySize);
        target.int32(0x46554747); // "GGUF" read little-endian
        target.int32(3);
        target.int64(tensors.size());
        target.int64(kept.size() + 9L);
        target.stringKv("general.architecture", "llama");
        target.uint32Kv("llama.context_length", 256);
        target.uint32Kv("llama.embedding_length", WIDTH);
        target.uint32Kv("llama.feed_forward_length", WIDTH);
        target.uint32Kv("llama.block_count", 1);
        target.uint32Kv("llama.attention.head_count", 1);
        target.uint32Kv("llama.attention.head_count_kv", 1);
        target.uint32Kv("llama.rope.dimension_count", WIDTH);
        target.float32Kv("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        for (GgufMetadata.Entry entry : kept) {
            target.bytes(entry.encoded());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            target.string(t.name());
            target.int32(t.dims().length);
            for (long d : t.dims()) {
                target.int64(d);
            }
            target.int32(GGML_TYPE_F32);
            target.int64(offset);
            offset = align(offset + t.bytes());
        }
        target.zeros(align(target.written()) - target.written());
        target.zeros(offset);
    }

    private record Tensor(String name, long... dims) {
        long bytes() {
            long n = 4;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }
    }

    /** A llama of one layer, width {@value #WIDTH}; the output layer is the embedding's (tied), as llama.cpp allows. */
    private static List<Tensor> standInTensors(long vocabularySize) {
        return List.of(
                new Tensor("token_embd.weight", WIDTH, vocabularySize),
                new Tensor("output_norm.weight", WIDTH),
                new Tensor("blk.0.attn_norm.weight", WIDTH),
                new Tensor("blk.0.attn_q.weight", WIDTH, WIDTH),
                new Tensor("blk.0.attn_k.weight", WIDTH, WIDTH),
                new Tensor("blk.0.attn_v.weight", WIDTH, WIDTH),
                new Tensor("blk.0.attn_output.weight", WIDTH, WIDTH),
                new Tensor("blk.0.ffn_norm.weight", WIDTH),
                new Tensor("blk.0.ffn_gate.weight", WIDTH, WIDTH),
                new Tensor("blk.0.ffn_down.weight", WIDTH, WIDTH),
                new Tensor("blk.0.ffn_up.weight", WIDTH, WIDTH));
    }

    private static long align(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** Writes little-endian GGUF values and counts the bytes. */
    private static final class LittleEndianOutput {
        private final OutputStream out;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        private long written;

        LittleEndianOutput(OutputStream out) {
            this.out = out;
        }

        long written() {
            return written;
        }

        void bytes(byte[] bytes) throws IOException {
            out.write(bytes);
            written += bytes.length;
        }

        void int32(int value) throws IOException {
            scratch.clear().putInt(value);
            out.write(scratch.array(), 0, 4);
            written += 4;
        }

        void int64(long value) throws IOException {
            scratch.clear().putLong(value);
            out.write(scratch.array(), 0, 8);
            written += 8;
        }

        void string(String value) throws IOException {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            int64(utf8.length);
            bytes(utf8);
        }

        void stringKv(String key, String value) throws IOException {
            string(key);
            int32(TYPE_STRING);
            string(value);
        }

        void uint32Kv(String key, int value) throws IOException {
            string(key);
            int32(TYPE_UINT32);
            int32(value);
        }

        void float32Kv(String key, float value) throws IOException {
            string(key);
            int32(TYPE_FLOAT32);
            int32(Float.floatToRawIntBits(value));
        }

        void zeros(long n) throws IOException {
            byte[] block = new byte[(int) Math.min(Math.max(n, 0), 1 << 16)];
            while (n > 0) {
                int chunk = (int) Math.min(n, block.length);
                out.write(block, 0, chunk);
                written += chunk;
                n -= chunk;
            }
        }
    }
}
