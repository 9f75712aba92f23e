package dev.llmplatform.worker.core.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Utf8PiecesTest {

    @Test
    void aCharacterSplitOverTwoTokensComesOutWholeWithTheSecond() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // three bytes
        var pieces = new Utf8Pieces();

        assertThat(pieces.append("a".getBytes(StandardCharsets.UTF_8))).isEqualTo("a");
        assertThat(pieces.append(Arrays.copyOfRange(euro, 0, 2))).isEmpty();
        assertThat(pieces.append(new byte[] {euro[2], 'b'})).isEqualTo("€b");
    }

    @Test
    void fourByteCharactersAndPlainAsciiPassStraightThrough() {
        var pieces = new Utf8Pieces();

        assertThat(pieces.append("😀 ok".getBytes(StandardCharsets.UTF_8))).isEqualTo("😀 ok");
        assertThat(pieces.flush()).isEmpty();
    }

    @Test
    void bytesThatNeverCompleteACharacterAreFlushedAtTheEnd() {
        var pieces = new Utf8Pieces();
        pieces.append(new byte[] {(byte) 0xE2, (byte) 0x82});

        assertThat(pieces.flush()).isEqualTo("\uFFFD");
    }
}
