package dev.llmplatform.commons.gguf;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The key/value metadata at the head of a GGUF file (architecture, context length, chat template, tokenizer flags).
 * Reads only the header, never the tensors, so it is cheap even for multi-gigabyte models.
 * Arrays are not kept (the vocabulary alone can hold 150k strings); only their length is.
 */
public record GgufMetadata(int version, long tensorCount, Map<String, Object> values) {

    private static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    private static final int MAX_STRING_BYTES = 16 << 20;

    public static GgufMetadata read(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(in);
        }
    }

    public static GgufMetadata read(InputStream raw) throws IOException {
        return parse(raw, null);
    }

    /**
     * One key/value pair of the metadata, with its bytes as the file holds them (key, type and value), so that it can
     * be copied into another GGUF as it is.
     */
    public record Entry(String key, Object value, byte[] encoded) {
    }

    /** The metadata's pairs in file order, each with its encoded bytes. */
    public static List<Entry> entries(InputStream raw) throws IOException {
        List<Entry> entries = new ArrayList<>();
        parse(raw, entries);
        return entries;
    }

    /** Reads the header; also adds each pair with its bytes to {@code entries} unless it is null. */
    private static GgufMetadata parse(InputStream raw, List<Entry> entries) throws IOException {
        var recording = new RecordingInput(raw);
        var in = new LittleEndianInput(new DataInputStream(recording));
        if (in.int32() != MAGIC) {
            throw new IOException("not a GGUF file (bad magic)");
        }
        int version = in.int32();
        if (version < 2 || version > 3) {
            throw new IOException("unsupported GGUF version " + version);
        }
        long tensorCount = in.int64();
        long kvCount = in.int64();
        if (kvCount < 0 || kvCount > 100_000) {
            throw new IOException("implausible GGUF metadata count " + kvCount);
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            recording.record(entries != null);
            String key = in.string();
            int type = in.int32();
            Object value = in.value(type);
            values.put(key, value);
            if (entries != null) {
                entries.add(new Entry(key, value, recording.take()));
            }
        }
        return new GgufMetadata(version, tensorCount, Collections.unmodifiableMap(values));
    }

    public Optional<String> string(String key) {
        return values.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    public Optional<Long> integer(String key) {
        return values.get(key) instanceof Number n ? Optional.of(n.longValue()) : Optional.empty();
    }

    public Optional<Boolean> bool(String key) {
        return values.get(key) instanceof Boolean b ? Optional.of(b) : Optional.empty();
    }

    public String architecture() {
        return string("general.architecture").orElse("unknown");
    }

    /** The training context length, e.g. {@code llama.context_length}. */
    public Optional<Long> contextLength() {
        return integer(architecture() + ".context_length");
    }

    public Optional<String> chatTemplate() {
        return string("tokenizer.chat_template");
    }

    /** The length of an array value, which is all that is kept of arrays. */
    public record ArrayLength(int elementType, long length) {
    }

    /** Keeps a copy of the bytes read while recording. */
    private static final class RecordingInput extends FilterInputStream {
        private final ByteArrayOutputStream recorded = new ByteArrayOutputStream();
        private boolean recording;

        RecordingInput(InputStream in) {
            super(in);
        }

        void record(boolean on) {
            recording = on;
            recorded.reset();
        }

        byte[] take() {
            byte[] bytes = recorded.toByteArray();
            recorded.reset();
            return bytes;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (recording && b >= 0) {
                recorded.write(b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (recording && n > 0) {
                recorded.write(b, off, n);
            }
            return n;
        }
    }

    private record LittleEndianInput(DataInputStream in) {

        int int32() throws IOException {
            return Integer.reverseBytes(in.readInt());
        }

        long int64() throws IOException {
            return Long.reverseBytes(in.readLong());
        }

        String string() throws IOException {
            long length = int64();
            if (length < 0 || length > MAX_STRING_BYTES) {
                throw new IOException("implausible GGUF string length " + length);
            }
            return new String(in.readNBytes((int) length), StandardCharsets.UTF_8);
        }

        Object value(int type) throws IOException {
            return switch (type) {
                case 0 -> (long) in.readUnsignedByte();
                case 1 -> (long) in.readByte();
                case 2 -> (long) Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
                case 3 -> (long) Short.reverseBytes(in.readShort());
                case 4 -> Integer.toUnsignedLong(int32());
                case 5 -> (long) int32();
                case 6 -> (double) Float.intBitsToFloat(int32());
                case 7 -> in.readUnsignedByte() != 0;
                case 8 -> string();
                case 9 -> array();
                case 10, 11 -> int64();
                case 12 -> Double.longBitsToDouble(int64());
                default -> throw new IOException("unknown GGUF value type " + type);
            };
        }

        ArrayLength array() throws IOException {
            int elementType = int32();
            long length = int64();
            if (length < 0) {
                throw new IOException("negative GGUF array length");
            }
            for (long i = 0; i < length; i++) {
                value(elementType);
            }
            return new ArrayLength(elementType, length);
        }
    }
}
