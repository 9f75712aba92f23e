package dev.llmplatform.gateway.ratelimit;

/**
 * One limit after a decision, as the x-ratelimit-* headers report it.
 *
 * @param limit       the per-minute limit; 0 when the key has none (nothing is reported then)
 * @param remaining   what is left to spend now
 * @param resetMillis until the bucket is full again
 */
public record BucketState(long limit, long remaining, long resetMillis) {

    public static final BucketState UNLIMITED = new BucketState(0, 0, 0);

    public boolean limited() {
        return limit > 0;
    }
}
