package dev.llmplatform.gateway.ratelimit;

/**
 * A key's per-minute budget. Each limit is a token bucket holding up to the limit and refilling at
 * limit-per-minute, so a client that waited a minute has its whole budget and one that spends steadily is
 * never surprised at a window's edge. 0 means "no limit".
 */
public record Budget(long requestsPerMinute, long tokensPerMinute) {

    public static final long WINDOW_MILLIS = 60_000;

    public Budget {
        if (requestsPerMinute < 0 || tokensPerMinute < 0) {
            throw new IllegalArgumentException("limits must not be negative");
        }
    }
}
