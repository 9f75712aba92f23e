package dev.llmplatform.worker.cpu.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LoadTrackerTest {

    private final LoadTracker load = new LoadTracker(2);

    @Test
    void sequencesBeyondTheSlotsWaitAndTheLimitRefusesMore() {
        assertThat(load.tryAdmit(3)).isTrue();
        assertThat(load.tryAdmit(3)).isTrue();
        assertThat(load.tryAdmit(3)).isTrue();
        assertThat(load.tryAdmit(3)).isFalse();

        assertThat(load.running()).isEqualTo(2);
        assertThat(load.waiting()).isEqualTo(1);
        load.release();
        assertThat(load.waiting()).isZero();
    }

    @Test
    void theKvCacheHoldsPromptAndGeneratedTokensOfRunningSequencesOnly() {
        load.sequenceStarted(10);
        load.sequenceStarted(5);
        load.tokenGenerated();
        load.tokenGenerated();
        load.tokenGenerated();
        assertThat(load.kvCacheTokens()).isEqualTo(18);

        load.sequenceEnded(10 + 2);
        assertThat(load.kvCacheTokens()).isEqualTo(6);
        assertThat(load.generatedTokens()).isEqualTo(3);
    }

    @Test
    void speedsAreSmoothedStartingFromTheFirstSample() {
        load.recordDecode(100, 1_000_000_000L);
        assertThat(load.decodeTokensPerSecond()).isCloseTo(100, within(1e-9));
        load.recordDecode(200, 1_000_000_000L);
        assertThat(load.decodeTokensPerSecond()).isCloseTo(120, within(1e-9));
    }
}
