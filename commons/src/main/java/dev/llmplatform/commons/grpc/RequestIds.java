package dev.llmplatform.commons.grpc;

import io.grpc.Context;
import io.grpc.Metadata;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.MDC;

/**
 * The request id that the gateway gives every API request, as it travels between the services: the gRPC
 * metadata {@code x-request-id} on the wire, a gRPC {@link Context} value while a call is handled, and the
 * logging MDC entry {@code requestId} (printed by every service's log pattern).
 */
public final class RequestIds {

    public static final Metadata.Key<String> METADATA_KEY = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    public static final String MDC_KEY = "requestId";
    public static final Context.Key<String> CONTEXT_KEY = Context.key("x-request-id");

    // Same rule as the gateway's: it goes into log lines, so nothing that could forge or break one.
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RequestIds() {
    }

    /** The id in {@code headers}, if it is there and sane. */
    public static Optional<String> from(Metadata headers) {
        return Optional.ofNullable(headers.get(METADATA_KEY)).filter(id -> SANE.matcher(id).matches());
    }

    /** The id of the request being handled on this thread: the gRPC context's, else the MDC's. */
    public static Optional<String> current() {
        String fromContext = CONTEXT_KEY.get();
        if (fromContext != null) {
            return Optional.of(fromContext);
        }
        return Optional.ofNullable(MDC.get(MDC_KEY)).filter(id -> SANE.matcher(id).matches());
    }

    /** Runs {@code action} with {@code requestId} in the MDC, then puts back what was there before. */
    static void withMdc(String requestId, Runnable action) {
        if (requestId == null) {
            action.run();
            return;
        }
        String previous = MDC.get(MDC_KEY);
        MDC.put(MDC_KEY, requestId);
        try {
            action.run();
        } finally {
            if (previous == null) {
                MDC.remove(MDC_KEY);
            } else {
                MDC.put(MDC_KEY, previous);
            }
        }
    }
}
