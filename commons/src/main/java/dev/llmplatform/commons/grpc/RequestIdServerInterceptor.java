package dev.llmplatform.commons.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Takes the caller's {@code x-request-id} metadata into the call: into the gRPC {@link Context} (so that
 * {@link RequestIdClientInterceptor} forwards it on calls made while handling this one) and into the MDC
 * while the service's code runs. When the call ends it logs one line (method, status, duration) under the
 * request id, so that a request can be followed through every service's log. Health checks and reflection
 * are not logged: probes would drown the rest.
 */
public final class RequestIdServerInterceptor implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(RequestIdServerInterceptor.class);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String requestId = RequestIds.from(headers).orElse(null);
        // The trace and span ids that Micrometer Tracing put into the MDC for this call, if it runs inside it.
        Map<String, String> callMdc = MDC.getCopyOfContextMap();
        ServerCall<Q, R> logged = quiet(call) ? call : new LoggedCall<>(call, requestId, callMdc);
        if (requestId == null) {
            return next.startCall(logged, headers);
        }
        Context context = Context.current().withValue(RequestIds.CONTEXT_KEY, requestId);
        ServerCall.Listener<Q> listener = Contexts.interceptCall(context, logged, headers, next);
        return new MdcListener<>(listener, requestId);
    }

    private static boolean quiet(ServerCall<?, ?> call) {
        String service = call.getMethodDescriptor().getServiceName();
        return service == null || service.startsWith("grpc.health.") || service.startsWith("grpc.reflection.");
    }

    private static final class LoggedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {

        private final String requestId;
        private final Map<String, String> callMdc;
        private final long started = System.nanoTime();

        LoggedCall(ServerCall<Q, R> delegate, String requestId, Map<String, String> callMdc) {
            super(delegate);
            this.requestId = requestId;
            this.callMdc = callMdc;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            // close may come from any thread (e.g. a generation thread): give this line the call's ids explicitly
            Map<String, String> before = MDC.getCopyOfContextMap();
            if (callMdc != null) {
                callMdc.forEach(MDC::put);
            }
            try {
                RequestIds.withMdc(requestId, () -> log.info("gRPC {} {} in {} ms",
                        getMethodDescriptor().getFullMethodName(), status.getCode(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
            } finally {
                if (before == null) {
                    MDC.clear();
                } else {
                    MDC.setContextMap(before);
                }
            }
            super.close(status, trailers);
        }
    }

    private static final class MdcListener<Q> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {

        private final String requestId;

        MdcListener(ServerCall.Listener<Q> delegate, String requestId) {
            super(delegate);
            this.requestId = requestId;
        }

        @Override
        public void onMessage(Q message) {
            RequestIds.withMdc(requestId, () -> super.onMessage(message));
        }

        @Override
        public void onHalfClose() {
            RequestIds.withMdc(requestId, super::onHalfClose);
        }

        @Override
        public void onCancel() {
            RequestIds.withMdc(requestId, super::onCancel);
        }

        @Override
        public void onComplete() {
            RequestIds.withMdc(requestId, super::onComplete);
        }

        @Override
        public void onReady() {
            RequestIds.withMdc(requestId, super::onReady);
        }
    }
}
