package dev.llmplatform.commons.security;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a gRPC call through only when the caller's certificate identity may call that method
 * ({@link InternalPlaneProperties#grpcCallers()}). The transport has already refused callers without a
 * certificate of the platform CA; this refuses the wrong role with PERMISSION_DENIED. Calls from inside the
 * same JVM (in-process transport) carry {@link CallerIdentity#LOCAL}.
 */
public class GrpcCallerAuthorization implements ServerInterceptor {

    private static final Logger AUDIT = LoggerFactory.getLogger("audit");
    private static final ServerCall.Listener<?> NOTHING = new ServerCall.Listener<>() {
    };

    private final InternalPlaneProperties properties;

    public GrpcCallerAuthorization(InternalPlaneProperties properties) {
        this.properties = properties;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        Optional<CallerIdentity> caller = callerOf(call);
        if (caller.isEmpty()) {
            if (!properties.enabled()) {
                return next.startCall(call, headers);
            }
            return refuse(call, Status.UNAUTHENTICATED.withDescription("a client certificate of the platform CA is required"));
        }
        if (caller.get() != CallerIdentity.LOCAL && properties.enabled() && !properties.allows(method, caller.get())) {
            AUDIT.warn("refused gRPC call: caller={} method={} remote={}", caller.get(), method,
                    call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
            return refuse(call, Status.PERMISSION_DENIED.withDescription("'" + caller.get() + "' may not call " + method));
        }
        return Contexts.interceptCall(Context.current().withValue(CallerIdentity.CURRENT, caller.get()), call, headers, next);
    }

    private static Optional<CallerIdentity> callerOf(ServerCall<?, ?> call) {
        var attributes = call.getAttributes();
        if (!(attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR) instanceof InetSocketAddress)) {
            return Optional.of(CallerIdentity.LOCAL);
        }
        return CallerIdentity.of(attributes.get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    }

    @SuppressWarnings("unchecked")
    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        call.close(status, new Metadata());
        return (ServerCall.Listener<Q>) NOTHING;
    }
}
