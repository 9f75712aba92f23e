package dev.llmplatform.tokenizer.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IncrementalDetokenizerTest {

    /** A byte-level vocabulary: "é" is split over two byte tokens, "🙂" over four. */
    private static final Map<Integer, byte[]> PIECES = Map.of(
            1, " caf".getBytes(StandardCharsets.UTF_8),
            2, new byte[] {(byte) 0xC3},
            3, new byte[] {(byte) 0xA9},
            4, new byte[] {(byte) 0xF0, (byte) 0x9F},
            5, new byte[] {(byte) 0x99},
            6, new byte[] {(byte) 0x82},
            7, "!".getBytes(StandardCharsets.UTF_8));

    private final ModelTokenizer tokenizer = new ModelTokenizer() {
        @Override
        public String modelId() {
            return "bytes";
        }

        @Override
        public int[] encode(String text, boolean addSpecial) {
            throw new AssertionError("not used");
        }

        @Override
        public byte[] decodeBytes(int[] tokenIds) {
            var out = new java.io.ByteArrayOutputStream();
            Arrays.stream(tokenIds).forEach(id -> out.writeBytes(PIECES.get(id)));
            return out.toByteArray();
        }

        @Override
        public String applyChatTemplate(List<Message> messages, boolean addGenerationPrompt) {
            throw new AssertionError("not used");
        }

        @Override
        public int vocabularySize() {
            return PIECES.size();
        }

        @Override
        public void close() {
        }
    };

    @Test
    void holdsBackBytesOfAnUnfinishedCharacter() {
        var detokenizer = new IncrementalDetokenizer(tokenizer);

        assertThat(detokenizer.next(new int[] {1})).isEqualTo(" caf");
        assertThat(detokenizer.next(new int[] {2})).isEmpty();
        assertThat(detokenizer.next(new int[] {3})).isEqualTo("é");
        assertThat(detokenizer.next(new int[] {4, 5})).isEmpty();
        assertThat(detokenizer.next(new int[] {6, 7})).isEqualTo("🙂!");
        assertThat(detokenizer.finish()).isEmpty();
    }

    @Test
    void deltasConcatenateToTheWholeText() {
        var detokenizer = new IncrementalDetokenizer(tokenizer);
        var text = new StringBuilder();
        for (int id : new int[] {1, 2, 3, 4, 5, 6, 7}) {
            text.append(detokenizer.next(new int[] {id}));
        }
        assertThat(text).hasToString(" café🙂!");
    }

    @Test
    void anUnfinishedCharacterAtTheEndBecomesAReplacementCharacter() {
        var detokenizer = new IncrementalDetokenizer(tokenizer);
        detokenizer.next(new int[] {1, 2});
        assertThat(detokenizer.finish()).isEqualTo("\uFFFD");
    }
}
