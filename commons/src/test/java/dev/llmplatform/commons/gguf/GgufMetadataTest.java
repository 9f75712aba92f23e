package dev.llmplatform.commons.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GgufMetadataTest {

    @Test
    void readsScalarsStringsAndArrayLengths() throws IOException {
        var file = new GgufBytes()
                .header(3, 4)
                .kv("general.architecture", 8, s("llama"))
                .kv("llama.context_length", 4, u32(512))
                .kv("tokenizer.ggml.add_bos_token", 7, new byte[] {0})
                .kv("tokenizer.ggml.tokens", 9, arrayOfStrings("a", "b", "c"))
                .bytes();

        GgufMetadata metadata = GgufMetadata.read(new ByteArrayInputStream(file));

        assertThat(metadata.architecture()).isEqualTo("llama");
        assertThat(metadata.contextLength()).contains(512L);
        assertThat(metadata.bool("tokenizer.ggml.add_bos_token")).contains(false);
        assertThat(metadata.values().get("tokenizer.ggml.tokens")).isEqualTo(new GgufMetadata.ArrayLength(8, 3));
        assertThat(metadata.chatTemplate()).isEmpty();
    }

    @Test
    void entriesCarryEachPairsBytesAsTheFileHoldsThem() throws IOException {
        byte[] tokens = arrayOfStrings("a", "b", "c");
        var file = new GgufBytes()
                .header(3, 2)
                .kv("general.architecture", 8, s("llama"))
                .kv("tokenizer.ggml.tokens", 9, tokens)
                .bytes();

        var entries = GgufMetadata.entries(new ByteArrayInputStream(file));

        assertThat(entries).extracting(GgufMetadata.Entry::key).containsExactly("general.architecture", "tokenizer.ggml.tokens");
        assertThat(entries.get(1).value()).isEqualTo(new GgufMetadata.ArrayLength(8, 3));
        assertThat(entries.get(0).encoded()).isEqualTo(new GgufBytes().kv("general.architecture", 8, s("llama")).bytes());
        assertThat(entries.get(1).encoded()).isEqualTo(new GgufBytes().kv("tokenizer.ggml.tokens", 9, tokens).bytes());
    }

    @Test
    void rejectsAFileThatIsNotGguf() {
        byte[] notGguf = "PK\3\4 definitely a zip".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> GgufMetadata.read(new ByteArrayInputStream(notGguf)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a GGUF file");
    }

    @Test
    void rejectsATruncatedHeader() {
        byte[] truncated = new GgufBytes().header(3, 5).kv("general.name", 8, s("x")).bytes();
        assertThatThrownBy(() -> GgufMetadata.read(new ByteArrayInputStream(truncated))).isInstanceOf(IOException.class);
    }

    private static byte[] s(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + utf8.length).order(ByteOrder.LITTLE_ENDIAN).putLong(utf8.length).put(utf8).array();
    }

    private static byte[] u32(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }

    private static byte[] arrayOfStrings(String... values) {
        var out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(8).putLong(values.length).array());
        for (String v : values) {
            out.writeBytes(s(v));
        }
        return out.toByteArray();
    }

    private static final class GgufBytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        GgufBytes header(int version, long kvCount) {
            out.writeBytes(ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(0x46554747).putInt(version).putLong(0).putLong(kvCount).array());
            return this;
        }

        GgufBytes kv(String key, int type, byte[] value) {
            out.writeBytes(s(key));
            out.writeBytes(u32(type));
            out.writeBytes(value);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
