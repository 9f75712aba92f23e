package dev.llmplatform.commons.observability;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler.IgnoredMeters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Puts {@link PerCallMeterObservationHandler} in front of Boot's {@link DefaultMeterObservationHandler} in every service
 * with gRPC observations, with Boot's {@code management.metrics.observations.ignored-meters}. Boot always defines its
 * own handler; its observation registry combines the meter handlers so that the first, in order, that supports a
 * context handles it, and this one supports every context.
 */
@AutoConfiguration(before = MetricsAutoConfiguration.class)
@ConditionalOnClass(name = {"io.micrometer.core.instrument.binder.grpc.GrpcServerObservationContext",
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration", "io.grpc.ServerCall"})
public class ObservationMetersAutoConfiguration {

    /** As Boot's own: the registry is looked up when the handler is made, after the export auto-configurations ran. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    DefaultMeterObservationHandler perCallMeterObservationHandler(ObjectProvider<MeterRegistry> registries, MetricsProperties properties) {
        return new PerCallMeterObservationHandler(registries.getIfAvailable(SimpleMeterRegistry::new),
                properties.getObservations().getIgnoredMeters().toArray(IgnoredMeters[]::new));
    }
}
