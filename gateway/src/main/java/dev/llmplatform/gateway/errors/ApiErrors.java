package dev.llmplatform.gateway.errors;

import dev.llmplatform.gateway.config.GatewayProperties;
import dev.llmplatform.gateway.ratelimit.RateLimitExceededException;
import dev.llmplatform.gateway.resilience.SchedulerGuard;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.grpc.Metadata;
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
    /** Where the scheduler says how long a client should wait after RESOURCE_EXHAUSTED or UNAVAILABLE. */
    public static final Metadata.Key<String> RETRY_AFTER_SECONDS = dev.llmplatform.commons.grpc.GrpcStatuses.RETRY_AFTER_SECONDS;
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
                case StatusRuntimeException sre -> { return fromGrpc(sre.getStatus(), sre.getTrailers()); }
                case StatusException se -> { return fromGrpc(se.getStatus(), se.getTrailers()); }
                case RateLimitExceededException limited -> {
                    // OpenAI's 429 for a spent budget: type "requests" or "tokens", code rate_limit_exceeded
                    return new ApiException(HttpStatus.TOO_MANY_REQUESTS, limited.limit().label(), limited.getMessage(),
                            null, "rate_limit_exceeded", limited.headers());
                }
                case CallNotPermittedException _ -> {
                    return unavailable("The scheduler is failing; requests are paused for a moment.",
                            retryAfter(properties.resilience().waitInOpenState().toSeconds()));
                }
                case BulkheadFullException _ -> {
                    return unavailable("The gateway is at its limit of concurrent requests.", retryAfter(1));
                }
                // the client stopped sending its request body (gateway.http-read-timeout)
                case io.netty.handler.timeout.ReadTimeoutException _ -> {
                    return new ApiException(HttpStatus.REQUEST_TIMEOUT, ApiException.INVALID_REQUEST,
                            "The request body did not arrive in time.", null, "request_timeout");
                }
                case org.springframework.http.InvalidMediaTypeException _ -> {
                    return ApiException.invalid(null, "The Content-Type header is not a media type; send application/json.");
                }
                case SchedulerGuard.FirstChunkTimeoutException _ -> {
                    return new ApiException(HttpStatus.GATEWAY_TIMEOUT, ApiException.SERVER_ERROR,
                            "The request timed out before the model started answering.", null, "timeout");
                }
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
    private ApiException fromGrpc(Status status, Metadata trailers) {
        String description = status.getDescription();
        return switch (status.getCode()) {
            case NOT_FOUND -> ApiException.modelNotFound(orElse(description, "The model does not exist."));
            case INVALID_ARGUMENT -> ApiException.invalid(null, orElse(description, "The request is invalid."));
            // "requests"/"rate_limit_exceeded" is what OpenAI itself sends with a 429
            case RESOURCE_EXHAUSTED -> new ApiException(HttpStatus.TOO_MANY_REQUESTS, "requests",
                    orElse(description, "The server is saturated; retry later."), null, "rate_limit_exceeded",
                    retryAfter(schedulerHint(trailers)));
            case UNAVAILABLE -> unavailable("The service is temporarily unavailable: " + orElse(description, "no worker serves the model."),
                    retryAfter(schedulerHint(trailers)));
            case DEADLINE_EXCEEDED -> new ApiException(HttpStatus.GATEWAY_TIMEOUT, ApiException.SERVER_ERROR,
                    "The request timed out.", null, "timeout");
            default -> new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, ApiException.SERVER_ERROR, GENERIC_SERVER_ERROR, null, null);
        };
    }

    /** The scheduler's retry-after-seconds trailer when it sent a sane one, else the configured default. */
    private long schedulerHint(Metadata trailers) {
        String hint = trailers == null ? null : trailers.get(RETRY_AFTER_SECONDS);
        if (hint != null) {
            try {
                long seconds = Long.parseLong(hint.strip());
                if (seconds >= 0 && seconds <= 3600) {
                    return seconds;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the default
            }
        }
        return properties.retryAfter().toSeconds();
    }

    private static HttpHeaders retryAfter(long seconds) {
        var headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, seconds)));
        return headers;
    }

    private static ApiException unavailable(String message, HttpHeaders headers) {
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, ApiException.SERVER_ERROR, message, null, "service_unavailable", headers);
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
