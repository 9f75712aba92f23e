package dev.llmplatform.gateway.errors;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/**
 * A failure as an OpenAI client sees it: an HTTP status and the {@code {"error": {...}}} body, plus any
 * headers the status calls for (Retry-After, Allow).
 */
public class ApiException extends RuntimeException {

    public static final String INVALID_REQUEST = "invalid_request_error";
    public static final String SERVER_ERROR = "server_error";

    private final HttpStatus status;
    private final String type;
    private final String param;
    private final String code;
    private final HttpHeaders headers;

    public ApiException(HttpStatus status, String type, String message, String param, String code, HttpHeaders headers) {
        super(message, null, false, false); // a client's mistake needs no stack trace
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.headers = HttpHeaders.readOnlyHttpHeaders(headers);
    }

    public ApiException(HttpStatus status, String type, String message, String param, String code) {
        this(status, type, message, param, code, new HttpHeaders());
    }

    public static ApiException invalid(String param, String message) {
        return new ApiException(HttpStatus.BAD_REQUEST, INVALID_REQUEST, message, param, null);
    }

    public static ApiException modelNotFound(String message) {
        return new ApiException(HttpStatus.NOT_FOUND, INVALID_REQUEST, message, "model", "model_not_found");
    }

    public static ApiException tooLarge(long limit) {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, INVALID_REQUEST,
                "The request body is larger than the limit of " + limit + " bytes.", null, "request_too_large");
    }

    public HttpStatus status() {
        return status;
    }

    public HttpHeaders headers() {
        return headers;
    }

    /** The JSON body, exactly as OpenAI shapes it: every field present, null where it does not apply. */
    public ErrorBody body() {
        return new ErrorBody(new Error(getMessage(), type, param, code));
    }

    /** OpenAI's error response body. */
    public record ErrorBody(Error error) {
    }

    public record Error(String message, String type, String param, String code) {
    }
}
