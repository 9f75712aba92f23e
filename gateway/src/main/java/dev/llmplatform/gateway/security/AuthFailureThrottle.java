package dev.llmplatform.gateway.security;

import dev.llmplatform.gateway.config.GatewayProperties;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.springframework.stereotype.Component;

/**
 * Failed authentications per client address, as a token bucket: an address may fail {@code maxPerMinute} times
 * at once, and earns one more failure every 60 s / maxPerMinute. While its bucket is empty it is refused
 * outright, its key unchecked, so that guessing keys cannot go faster than the bucket refills (a correct guess
 * would be refused too). Memory is bounded: past {@code maxTrackedAddresses} the least recently seen address
 * is forgotten, which at worst gives a forgotten address a fresh bucket.
 */
@Component
public class AuthFailureThrottle {

    private final long capacity;
    private final long nanosPerToken;
    private final int maxTracked;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> buckets;

    /** tokens are kept in nanos of refill time, so no fractions: a bucket holds up to capacity * nanosPerToken */
    private static final class Bucket {
        long nanosBank;
        long updated;
    }

    @org.springframework.beans.factory.annotation.Autowired
    public AuthFailureThrottle(GatewayProperties properties) {
        this(properties.authFailures().maxPerMinute(), properties.authFailures().maxTrackedAddresses(), System::nanoTime);
    }

    AuthFailureThrottle(int maxPerMinute, int maxTracked, LongSupplier nanoTime) {
        this.capacity = Math.max(1, maxPerMinute);
        this.nanosPerToken = 60_000_000_000L / capacity;
        this.maxTracked = Math.max(1, maxTracked);
        this.nanoTime = nanoTime;
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
                return size() > AuthFailureThrottle.this.maxTracked;
            }
        };
    }

    /** Seconds the address must wait before its key is checked again; 0 when it may try now. */
    public synchronized long retryAfterSeconds(String address) {
        Bucket bucket = buckets.get(address);
        if (bucket == null) {
            return 0;
        }
        refill(bucket);
        long missing = nanosPerToken - bucket.nanosBank;
        return missing <= 0 ? 0 : Math.max(1, (missing + 999_999_999L) / 1_000_000_000L);
    }

    /** One more failed authentication from the address. */
    public synchronized void failed(String address) {
        Bucket bucket = buckets.get(address);
        if (bucket == null) {
            bucket = new Bucket();
            bucket.nanosBank = capacity * nanosPerToken;
            bucket.updated = nanoTime.getAsLong();
            buckets.put(address, bucket);
        }
        refill(bucket);
        bucket.nanosBank = Math.max(0, bucket.nanosBank - nanosPerToken);
    }

    synchronized int trackedAddresses() {
        return buckets.size();
    }

    private void refill(Bucket bucket) {
        long now = nanoTime.getAsLong();
        bucket.nanosBank = Math.min(capacity * nanosPerToken, bucket.nanosBank + Math.max(0, now - bucket.updated));
        bucket.updated = now;
    }
}
