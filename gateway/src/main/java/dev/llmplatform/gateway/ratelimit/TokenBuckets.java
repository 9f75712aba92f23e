package dev.llmplatform.gateway.ratelimit;

/**
 * The bucket arithmetic, in milliseconds. {@link RedisRateLimitStore}'s Lua script does the same sums; keep
 * the two in step (RateLimitStoreContract tests both).
 */
final class TokenBuckets {

    private TokenBuckets() {
    }

    /** The level of a bucket last left at {@code level} at {@code then}, refilled up to now. */
    static double refill(double level, long then, long now, long capacity) {
        return Math.min(capacity, level + Math.max(0, now - then) * (double) capacity / Budget.WINDOW_MILLIS);
    }

    static long millisUntil(double level, double wanted, long capacity) {
        return wanted <= level ? 0 : (long) Math.ceil((wanted - level) * Budget.WINDOW_MILLIS / capacity);
    }

    static BucketState state(double level, long capacity) {
        if (capacity <= 0) {
            return BucketState.UNLIMITED;
        }
        return new BucketState(capacity, (long) Math.floor(Math.max(0, level)), millisUntil(level, capacity, capacity));
    }
}
