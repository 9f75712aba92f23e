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
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Takes the caller's {@code x-request-id} metadata into the call: into the gRPC {@link Context} (so that
 * {@link RequestIdClientInterceptor} forwards it on calls made while handling this one) and into the MDC
 * while the service's code runs. When the call ends (closed by the service or cancelled by the caller) it
 * logs one line (method, status, duration) under the request id and the call's trace ids, so that a request
 * can be followed through every service's log. Health checks and reflection are not logged: probes would
 * drown the rest.
 */
public final class RequestIdServerInterceptor implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(RequestIdServerInterceptor.class);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String requestId = RequestIds.from(headers).orElse(null);
        // The trace and span ids that Micrometer Tracing put into the MDC for this call, if it runs inside it.
        CallLog callLog = quiet(call) ? null : new CallLog(call.getMethodDescriptor().getFullMethodName(), requestId, MDC.getCopyOfContextMap());
        ServerCall<Q, R> logged = callLog == null ? call : new LoggedCall<>(call, callLog);
        ServerCall.Listener<Q> listener = requestId == null
                ? next.startCall(logged, headers)
                : Contexts.interceptCall(Context.current().withValue(RequestIds.CONTEXT_KEY, requestId), logged, headers, next);
        return requestId == null && callLog == null ? listener : new MdcListener<>(listener, requestId, callLog);
    }

    private static boolean quiet(ServerCall<?, ?> call) {
        String service = call.getMethodDescriptor().getServiceName();
        return service == null || service.startsWith("grpc.health.") || service.startsWith("grpc.reflection.");
    }

    /** The one line logged per call, whichever comes first: the service's close or the caller's cancel. */
    private static final class CallLog {

        private final String method;
        private final String requestId;
        private final Map<String, String> callMdc;
        private final long started = System.nanoTime();
        private final AtomicBoolean done = new AtomicBoolean();

        CallLog(String method, String requestId, Map<String, String> callMdc) {
            this.method = method;
            this.requestId = requestId;
            this.callMdc = callMdc;
        }

        void ended(String outcome) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            // this may run on any thread (e.g. a generation thread): give the line the call's ids explicitly
            Map<String, String> before = MDC.getCopyOfContextMap();
            if (callMdc != null) {
                callMdc.forEach(MDC::put);
            }
            try {
                RequestIds.withMdc(requestId, () -> log.info("gRPC {} {} in {} ms", method, outcome,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
            } finally {
                if (before == null) {
                    MDC.clear();
                } else {
                    MDC.setContextMap(before);
                }
            }
        }
    }

    private static final class LoggedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {

        private final CallLog callLog;

        LoggedCall(ServerCall<Q, R> delegate, CallLog callLog) {
            super(delegate);
            this.callLog = callLog;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            callLog.ended(status.getCode().name());
            super.close(status, trailers);
        }
    }

    private static final class MdcListener<Q> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {

        private final String requestId;
        private final CallLog callLog;

        MdcListener(ServerCall.Listener<Q> delegate, String requestId, CallLog callLog) {
            super(delegate);
            this.requestId = requestId;
            this.callLog = callLog;
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
            if (callLog != null) {
                callLog.ended("CANCELLED by the caller");
            }
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
