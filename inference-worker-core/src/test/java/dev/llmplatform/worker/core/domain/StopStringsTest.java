package dev.llmplatform.worker.core.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    @Test
    void withoutStopStringsEverythingPassesAtOnce() {
        assertThat(new StopStrings(List.of()).accept("hello")).isEqualTo(new StopStrings.Step("hello", false));
    }

    @Test
    void textBeforeTheStopStringIsSentAndTheRestIsNot() {
        var stops = new StopStrings(List.of("\n\n"));

        assertThat(stops.accept("In the")).isEqualTo(new StopStrings.Step("In the", false));
        assertThat(stops.accept(" end\n\nmore")).isEqualTo(new StopStrings.Step(" end", true));
    }

    @Test
    void aStopStringSplitAcrossTokensIsHeldBackUntilDecided() {
        var stops = new StopStrings(List.of("Amen"));

        assertThat(stops.accept("so be it. Am")).isEqualTo(new StopStrings.Step("so be it. ", false));
        assertThat(stops.accept("en")).isEqualTo(new StopStrings.Step("", true));
    }

    @Test
    void heldTextThatTurnsOutNotToStopIsReleased() {
        var stops = new StopStrings(List.of("Amen"));

        assertThat(stops.accept("Am")).isEqualTo(new StopStrings.Step("", false));
        assertThat(stops.accept("ong")).isEqualTo(new StopStrings.Step("Among", false));
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        var stops = new StopStrings(List.of("Lord", "God"));

        assertThat(stops.accept("And God said unto the Lord")).isEqualTo(new StopStrings.Step("And ", true));
    }
}
