package dev.llmplatform.commons.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Builds the gRPC errors that every service returns for the same kinds of failure. */
public final class GrpcStatuses {

    /** The trailer in which the scheduler says how long a refused caller should wait (no worker ready, queue full). */
    public static final io.grpc.Metadata.Key<String> RETRY_AFTER_SECONDS =
            io.grpc.Metadata.Key.of("retry-after-seconds", io.grpc.Metadata.ASCII_STRING_MARSHALLER);

    private GrpcStatuses() {
    }

    public static StatusRuntimeException invalidArgument(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException notFound(String message) {
        return Status.NOT_FOUND.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException unavailable(String message) {
        return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
    }

    /** UNAVAILABLE with the retry hint: the service is starting or loading, and a retry soon will do. */
    public static StatusRuntimeException unavailable(String message, long retryAfterSeconds) {
        var trailers = new io.grpc.Metadata();
        trailers.put(RETRY_AFTER_SECONDS, String.valueOf(Math.max(1, retryAfterSeconds)));
        return Status.UNAVAILABLE.withDescription(message).asRuntimeException(trailers);
    }

    public static StatusRuntimeException failedPrecondition(String message) {
        return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException resourceExhausted(String message) {
        return Status.RESOURCE_EXHAUSTED.withDescription(message).asRuntimeException();
    }

    /** Keeps a status that is already a gRPC error; anything else is an internal error with its message. */
    public static StatusRuntimeException from(Throwable error) {
        if (error instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (error instanceof io.grpc.StatusException se) {
            return se.getStatus().asRuntimeException(se.getTrailers());
        }
        return Status.INTERNAL.withDescription(String.valueOf(error.getMessage())).withCause(error).asRuntimeException();
    }
}
