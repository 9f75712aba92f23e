package dev.llmplatform.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class EwmaTest {

    @Test
    void startsAtTheDeclaredSeedAndMovesTowardsMeasurements() {
        var speed = new Ewma(200, 0.25);
        assertThat(speed.value()).isEqualTo(200);
        assertThat(speed.sampled()).isFalse();

        speed.add(100);
        assertThat(speed.value()).isCloseTo(175, within(1e-12));
        assertThat(speed.sampled()).isTrue();
    }

    @Test
    void anUnseededAverageTakesItsFirstSampleAsIsAndIgnoresNonMeasurements() {
        var lengths = Ewma.unseeded(0.5);
        lengths.add(0);
        lengths.add(Double.NaN);
        assertThat(lengths.value()).isNaN();

        lengths.add(40);
        lengths.add(60);
        assertThat(lengths.value()).isCloseTo(50, within(1e-12));
    }
}
