package dev.llmplatform.gateway.batch;

import dev.llmplatform.gateway.errors.ApiException;
import io.grpc.StatusRuntimeException;
import org.springframework.http.HttpStatus;

/**
 * The registry's refusals of a file or batch call as OpenAI errors; anything else (the registry unreachable, a
 * deadline) is left to the gateway's general translation (a 503 or 504).
 */
final class RegistryErrors {

    private RegistryErrors() {
    }

    static Throwable translate(Throwable error, String param) {
        if (!(error instanceof StatusRuntimeException sre)) {
            return error;
        }
        String message = sre.getStatus().getDescription() == null ? "The request was refused." : sre.getStatus().getDescription();
        return switch (sre.getStatus().getCode()) {
            case NOT_FOUND -> new ApiException(HttpStatus.NOT_FOUND, ApiException.INVALID_REQUEST, message, param, null);
            case INVALID_ARGUMENT -> ApiException.invalid(null, message);
            case RESOURCE_EXHAUSTED -> new ApiException(HttpStatus.CONTENT_TOO_LARGE, ApiException.INVALID_REQUEST, message, "file",
                    "file_too_large");
            case FAILED_PRECONDITION -> new ApiException(HttpStatus.CONFLICT, ApiException.INVALID_REQUEST, message, param, null);
            default -> error;
        };
    }
}
