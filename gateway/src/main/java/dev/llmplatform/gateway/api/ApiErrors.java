package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.config.GatewayProperties;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.net.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

/** Turns whatever went wrong (a client mistake, a scheduler status, a framework error) into an {@link ApiException}. */
@Component
public class ApiErrors {

    private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);
    private static final String GENERIC_SERVER_ERROR = "The server had an error while processing your request.";

    private final GatewayProperties properties;

    public ApiErrors(GatewayProperties properties) {
        this.properties = properties;
    }

    public ApiException translate(Throwable error, ServerWebExchange exchange) {
        ApiException api = classify(error, exchange);
        if (api.status().is5xxServerError()) {
            log.warn("{} {} failed with {}", exchange.getRequest().getMethod(), exchange.getRequest().getPath(), api.status(), error);
        } else {
            log.debug("{} {} refused: {}", exchange.getRequest().getMethod(), exchange.getRequest().getPath(), api.getMessage());
        }
        return api;
    }

    private ApiException classify(Throwable error, ServerWebExchange exchange) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            switch (t) {
                case ApiException api -> { return api; }
                case DataBufferLimitException _ -> { return ApiException.tooLarge(properties.maxRequestBytes().toBytes()); }
                case StatusRuntimeException sre -> { return fromGrpc(sre.getStatus()); }
                case StatusException se -> { return fromGrpc(se.getStatus()); }
                // a proxied route whose upstream (the registry) is down
                case ConnectException _ -> {
                    return new ApiException(HttpStatus.BAD_GATEWAY, ApiException.SERVER_ERROR,
                            "The upstream service is not reachable.", null, "service_unavailable");
                }
                default -> { }
            }
        }
        if (error instanceof ResponseStatusException rse) {
            return fromFramework(rse, exchange);
        }
        return new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, ApiException.SERVER_ERROR, GENERIC_SERVER_ERROR, null, null);
    }

    // The scheduler's contract: NOT_FOUND unknown model, INVALID_ARGUMENT prompt too long, RESOURCE_EXHAUSTED
    // saturated, UNAVAILABLE no worker serves the model. Their descriptions are written for callers; any
    // other status is our fault and its description stays in the log.
    private ApiException fromGrpc(Status status) {
        String description = status.getDescription();
        return switch (status.getCode()) {
            case NOT_FOUND -> ApiException.modelNotFound(orElse(description, "The model does not exist."));
            case INVALID_ARGUMENT -> ApiException.invalid(null, orElse(description, "The request is invalid."));
            case RESOURCE_EXHAUSTED -> {
                var headers = new HttpHeaders();
                headers.set(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, properties.retryAfter().toSeconds())));
                // "requests"/"rate_limit_exceeded" is what OpenAI itself sends with a 429
                yield new ApiException(HttpStatus.TOO_MANY_REQUESTS, "requests",
                        orElse(description, "The server is saturated; retry later."), null, "rate_limit_exceeded", headers);
            }
            case UNAVAILABLE -> new ApiException(HttpStatus.SERVICE_UNAVAILABLE, ApiException.SERVER_ERROR,
                    "The service is temporarily unavailable: " + orElse(description, "no worker serves the model."),
                    null, "service_unavailable");
            case DEADLINE_EXCEEDED -> new ApiException(HttpStatus.GATEWAY_TIMEOUT, ApiException.SERVER_ERROR,
                    "The request timed out.", null, "timeout");
            default -> new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, ApiException.SERVER_ERROR, GENERIC_SERVER_ERROR, null, null);
        };
    }

    private static ApiException fromFramework(ResponseStatusException error, ServerWebExchange exchange) {
        HttpStatus status = HttpStatus.resolve(error.getStatusCode().value());
        if (status == null) {
            status = HttpStatus.INTERNAL_SERVER_ERROR;
        }
        if (status.is5xxServerError()) {
            return new ApiException(status, ApiException.SERVER_ERROR, GENERIC_SERVER_ERROR, null, null);
        }
        var request = exchange.getRequest();
        String message = switch (status) {
            case NOT_FOUND -> "Invalid URL (" + request.getMethod() + " " + request.getPath() + ")";
            case METHOD_NOT_ALLOWED -> "Method " + request.getMethod() + " is not allowed on " + request.getPath() + ".";
            default -> orElse(error.getReason(), status.getReasonPhrase());
        };
        return new ApiException(status, ApiException.INVALID_REQUEST, message, null, null, error.getHeaders());
    }

    private static String orElse(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
