package dev.llmplatform.commons.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

/**
 * Forwards the request id of the request being handled ({@link RequestIds#current()}) as {@code x-request-id}
 * metadata on every outgoing call that does not carry one already, and keeps it in the MDC while the
 * call's responses are handled (they arrive on gRPC's threads).
 */
public final class RequestIdClientInterceptor implements ClientInterceptor {

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                String requestId = RequestIds.from(headers).orElse(null);
                if (requestId == null) {
                    requestId = RequestIds.current().orElse(null);
                    if (requestId != null) {
                        headers.put(RequestIds.METADATA_KEY, requestId);
                    }
                }
                super.start(requestId == null ? listener : new MdcListener<>(listener, requestId), headers);
            }
        };
    }

    private static final class MdcListener<R> extends ForwardingClientCallListener.SimpleForwardingClientCallListener<R> {

        private final String requestId;

        MdcListener(ClientCall.Listener<R> delegate, String requestId) {
            super(delegate);
            this.requestId = requestId;
        }

        @Override
        public void onHeaders(Metadata headers) {
            RequestIds.withMdc(requestId, () -> super.onHeaders(headers));
        }

        @Override
        public void onMessage(R message) {
            RequestIds.withMdc(requestId, () -> super.onMessage(message));
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            RequestIds.withMdc(requestId, () -> super.onClose(status, trailers));
        }

        @Override
        public void onReady() {
            RequestIds.withMdc(requestId, super::onReady);
        }
    }
}
