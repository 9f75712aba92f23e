package dev.llmplatform.commons.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

class ObservabilityDefaultsTest {

    @Test
    void everyServiceGetsTheLogPatternNoSamplingAndHistograms() {
        var environment = new StandardEnvironment();

        new ObservabilityDefaults().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty("logging.pattern.correlation")).isEqualTo("[%X{traceId:-},%X{spanId:-},%X{requestId:-}] ");
        assertThat(environment.getProperty("management.tracing.sampling.probability", Double.class)).isZero();
        assertThat(environment.getProperty("management.otlp.metrics.export.enabled", Boolean.class)).isFalse();
        assertThat(environment.getProperty("management.metrics.distribution.percentiles-histogram.grpc.server", Boolean.class)).isTrue();
    }

    @Test
    void noMeterNobodyReadsIsKeptPerCall() {
        var environment = new StandardEnvironment();

        new ObservabilityDefaults().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty("management.metrics.observations.ignored-meters")).isEqualTo("long-task-timer");
        assertThat(environment.getProperty(
                "management.prometheus.metrics.export.properties.io.prometheus.exemplars.sample_interval_milliseconds", Integer.class))
                .isEqualTo(1000);
    }

    @Test
    void aServicesOwnSettingOrItsEnvironmentWins() {
        var environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("deployment",
                Map.of("management.tracing.sampling.probability", "1.0")));

        new ObservabilityDefaults().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty("management.tracing.sampling.probability", Double.class)).isEqualTo(1.0);
        assertThat(environment.getPropertySources().stream().reduce((a, b) -> b).orElseThrow().getName())
                .isEqualTo(ObservabilityDefaults.SOURCE_NAME);
    }
}
