package dev.llmplatform.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class InMemoryRateLimitStoreTest extends RateLimitStoreContract {

    private final MutableClock clock = new MutableClock();
    private final InMemoryRateLimitStore store = new InMemoryRateLimitStore(clock);

    @Override
    RateLimitStore store() {
        return store;
    }

    @Test
    void refillsSteadilyRatherThanAtAWindowsEdge() {
        var budget = new Budget(60, 0); // one a second
        for (int i = 0; i < 60; i++) {
            store.acquire(key, budget, 1, 0).block();
        }
        assertThat(store.acquire(key, budget, 1, 0).block()).isInstanceOf(Admission.Rejected.class);

        clock.advance(Duration.ofMillis(2_500));

        assertThat(store.acquire(key, budget, 1, 0).block()).isInstanceOf(Admission.Admitted.class);
        assertThat(store.acquire(key, budget, 1, 0).block()).isInstanceOf(Admission.Admitted.class);
        assertThat(store.acquire(key, budget, 1, 0).block()).isInstanceOf(Admission.Rejected.class);
    }

    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
