package dev.llmplatform.commons.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.grpc.GrpcServerObservationContext;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler.IgnoredMeters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class PerCallMeterObservationHandlerTest {

    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final ObservationRegistry observations = ObservationRegistry.create();

    @Test
    void aGrpcCallIsTimedButItsMessagesAreNotCounted() {
        observations.observationConfig().observationHandler(new PerCallMeterObservationHandler(meters));

        var call = Observation.start("grpc.server", () -> new GrpcServerObservationContext((carrier, key) -> null), observations);
        call.event(Observation.Event.of("received"));
        call.event(Observation.Event.of("sent"));
        call.stop();

        assertThat(meters.find("grpc.server").timer()).isNotNull().extracting(t -> t.count()).isEqualTo(1L);
        assertThat(meters.find("grpc.server.received").counter()).isNull();
        assertThat(meters.find("grpc.server.sent").counter()).isNull();
    }

    @Test
    void otherObservationsStillCountTheirEvents() {
        observations.observationConfig().observationHandler(new PerCallMeterObservationHandler(meters));

        var job = Observation.start("batch.line", observations);
        job.event(Observation.Event.of("retried"));
        job.stop();

        assertThat(meters.find("batch.line.retried").counter()).isNotNull().extracting(c -> c.count()).isEqualTo(1.0);
    }

    @Test
    void bootsObservationRegistryMetersThroughItWithBootsIgnoredMeters() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ObservationAutoConfiguration.class, ObservationMetersAutoConfiguration.class,
                        MetricsAutoConfiguration.class))
                .withBean(MeterRegistry.class, () -> meters)
                .withPropertyValues("management.metrics.observations.ignored-meters=long-task-timer")
                .run(context -> {
                    var registry = context.getBean(ObservationRegistry.class);

                    var call = Observation.start("grpc.server", () -> new GrpcServerObservationContext((carrier, key) -> null), registry);
                    assertThat(meters.find("grpc.server.active").longTaskTimer()).isNull();
                    call.event(Observation.Event.of("received"));
                    call.stop();

                    assertThat(meters.find("grpc.server").timer()).isNotNull();
                    assertThat(meters.find("grpc.server.received").counter()).isNull();
                });
    }

    @Test
    void withoutTheSettingTheInFlightTimerIsKept() {
        observations.observationConfig().observationHandler(new PerCallMeterObservationHandler(meters, new IgnoredMeters[0]));

        var call = Observation.start("grpc.server", () -> new GrpcServerObservationContext((carrier, key) -> null), observations);

        assertThat(meters.find("grpc.server.active").longTaskTimer()).isNotNull();
        call.stop();
    }
}
