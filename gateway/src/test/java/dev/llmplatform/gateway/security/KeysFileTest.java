package dev.llmplatform.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The keys file's limits: the interactive budgets and the separate batch token budget. */
class KeysFileTest {

    @Test
    void batchTokenBudgetIsReadAndDefaultsToNone() {
        var keys = KeysFile.parse("""
                keys:
                  - {name: nightly, sha256: %s, batch-tokens-per-day: 5000000}
                  - {name: plain, sha256: %s}
                """.formatted("a".repeat(64), "b".repeat(64)));

        assertThat(keys.get(0).batchTokensPerDay()).isEqualTo(5_000_000);
        assertThat(keys.get(0).tokensPerMinute()).as("the interactive budget keeps its default").isEqualTo(1_000_000);
        assertThat(keys.get(1).batchTokensPerDay()).as("0: no batch budget").isZero();
    }

    @Test
    void negativeBatchTokenBudgetIsRefused() {
        assertThatThrownBy(() -> KeysFile.parse("[{name: x, sha256: %s, batch-tokens-per-day: -1}]".formatted("c".repeat(64))))
                .hasMessageContaining("batch-tokens-per-day");
    }
}
