package dev.llmplatform.gateway.ratelimit;

import org.springframework.http.HttpHeaders;

/** A key spent its budget; the HTTP layer answers 429 with these headers (Retry-After, x-ratelimit-*). */
public class RateLimitExceededException extends RuntimeException {

    private final Admission.Limit limit;
    private final HttpHeaders headers;

    public RateLimitExceededException(String message, Admission.Limit limit, HttpHeaders headers) {
        super(message, null, false, false);
        this.limit = limit;
        this.headers = HttpHeaders.readOnlyHttpHeaders(headers);
    }

    public Admission.Limit limit() {
        return limit;
    }

    public HttpHeaders headers() {
        return headers;
    }
}
