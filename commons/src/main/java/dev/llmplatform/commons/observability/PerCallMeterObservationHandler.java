package dev.llmplatform.commons.observability;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.grpc.GrpcClientObservationContext;
import io.micrometer.core.instrument.binder.grpc.GrpcServerObservationContext;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.Observation;

/**
 * Boot's meter handler, less one counter lookup per gRPC message. Micrometer's gRPC observation raises an event for
 * every message a call sends or receives, and the default handler turns each event into a
 * {@code Counter.builder(...).register(...)} (a name built, the call's tags listed, the registry searched): four
 * times per streamed chunk over the relay's hops, for counters no dashboard reads. Calls are still timed
 * ({@code grpc_server_seconds}, {@code grpc_client_seconds}), and the events still reach the tracing handler.
 */
public class PerCallMeterObservationHandler extends DefaultMeterObservationHandler {

    public PerCallMeterObservationHandler(MeterRegistry registry, IgnoredMeters... ignored) {
        super(registry, ignored);
    }

    @Override
    public void onEvent(Observation.Event event, Observation.Context context) {
        if (context instanceof GrpcServerObservationContext || context instanceof GrpcClientObservationContext) {
            return;
        }
        super.onEvent(event, context);
    }
}
