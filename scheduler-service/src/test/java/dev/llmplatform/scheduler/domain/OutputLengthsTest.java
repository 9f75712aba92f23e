package dev.llmplatform.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OutputLengthsTest {

    @Test
    void expectsMaxTokensUntilRequestsOfTheModelHaveFinished() {
        var lengths = new OutputLengths(true, 0.5);

        assertThat(lengths.expected("m", 200)).isEqualTo(200);
        lengths.finished("m", 40);
        lengths.finished("m", 60);
        assertThat(lengths.expected("m", 200)).isEqualTo(50);
        assertThat(lengths.expected("m", 30)).isEqualTo(30);
        assertThat(lengths.expected("other", 200)).isEqualTo(200);
    }

    @Test
    void theMaxTokensModeIgnoresWhatWasObserved() {
        var lengths = new OutputLengths(false, 0.5);
        lengths.finished("m", 10);

        assertThat(lengths.expected("m", 200)).isEqualTo(200);
    }
}
