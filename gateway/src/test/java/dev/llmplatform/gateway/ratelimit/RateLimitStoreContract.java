package dev.llmplatform.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What every rate-limit store does, whichever holds the buckets. */
abstract class RateLimitStoreContract {

    abstract RateLimitStore store();

    /** A key no other test (or test run) shares. */
    final String key = "test-" + UUID.randomUUID();

    @Test
    void admitsUpToTheRequestLimitThenRejectsWithTheTimeUntilOneIsBack() {
        var budget = new Budget(3, 0);
        for (int i = 0; i < 3; i++) {
            var admission = acquire(budget, 1, 0);
            assertThat(admission).isInstanceOf(Admission.Admitted.class);
            assertThat(admission.requests().remaining()).isEqualTo(2 - i);
        }

        var rejected = (Admission.Rejected) acquire(budget, 1, 0);

        assertThat(rejected.limit()).isEqualTo(Admission.Limit.REQUESTS);
        // 3 a minute: one comes back every 20 s; a little of it has come back already
        assertThat(rejected.retryAfterMillis()).isBetween(15_000L, 20_000L);
        assertThat(rejected.requests().limit()).isEqualTo(3);
        assertThat(rejected.requests().remaining()).isZero();
        assertThat(rejected.requests().resetMillis()).isBetween(55_000L, 60_000L);
        assertThat(rejected.tokens().limited()).isFalse();
    }

    @Test
    void takesRequestsAndTokensTogetherOrNeither() {
        var budget = new Budget(10, 100);
        assertThat(acquire(budget, 1, 80)).isInstanceOf(Admission.Admitted.class);

        var rejected = (Admission.Rejected) acquire(budget, 1, 50);

        assertThat(rejected.limit()).isEqualTo(Admission.Limit.TOKENS);
        // the rejected request took nothing: 9 requests and ~20 tokens are still there
        assertThat(rejected.requests().remaining()).isEqualTo(9);
        var next = acquire(budget, 1, 15);
        assertThat(next).isInstanceOf(Admission.Admitted.class);
        assertThat(next.requests().remaining()).isEqualTo(8);
        assertThat(next.tokens().remaining()).isBetween(5L, 7L);
    }

    @Test
    void settlingPutsBackWhatTheEstimateOvercharged() {
        var budget = new Budget(0, 1000);
        acquire(budget, 0, 900);

        store().adjustTokens(key, budget, -850).block(Duration.ofSeconds(5)); // used 50 of the 900 charged

        assertThat(acquire(budget, 0, 0).tokens().remaining()).isBetween(950L, 952L);
    }

    @Test
    void settlingAnUnderestimateLeavesADebtThatLaterRequestsWaitFor() {
        var budget = new Budget(0, 600);
        acquire(budget, 0, 600);

        store().adjustTokens(key, budget, 300).block(Duration.ofSeconds(5)); // used 900 of the 600 charged

        var rejected = (Admission.Rejected) acquire(budget, 0, 10);
        assertThat(rejected.limit()).isEqualTo(Admission.Limit.TOKENS);
        // 310 tokens to come back at 10 a second
        assertThat(rejected.retryAfterMillis()).isBetween(30_000L, 31_000L);
        assertThat(rejected.tokens().remaining()).isZero();
    }

    @Test
    void keepsEachKeysBudgetApart() {
        var budget = new Budget(1, 0);
        assertThat(acquire(budget, 1, 0)).isInstanceOf(Admission.Admitted.class);
        assertThat(acquire(budget, 1, 0)).isInstanceOf(Admission.Rejected.class);

        assertThat(store().acquire(key + "-other", budget, 1, 0).block(Duration.ofSeconds(5))).isInstanceOf(Admission.Admitted.class);
    }

    private Admission acquire(Budget budget, long requests, long tokens) {
        return store().acquire(key, budget, requests, tokens).block(Duration.ofSeconds(5));
    }
}
