package dev.llmplatform.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class AffinityIndexTest {

    private final AffinityIndex index = new AffinityIndex(16, 1000);

    private static List<Integer> tokens(int from, int count) {
        return IntStream.range(from, from + count).boxed().toList();
    }

    @Test
    void aPromptSharingWholeBlocksWithAnEarlierOneIsCachedWhereThatOneWent() {
        var system = tokens(0, 40);                       // 2 whole blocks and 8 tokens more
        var first = concat(system, tokens(1000, 10));
        var second = concat(system, tokens(2000, 30));
        index.record(index.prefixKeys(first), "", first.size(), "w1");

        assertThat(index.cachedTokens(index.prefixKeys(second), "", second.size())).containsExactlyEntriesOf(java.util.Map.of("w1", 32));
    }

    @Test
    void aDifferentFirstBlockSharesNothingEvenWhenLaterTokensMatch() {
        var first = concat(tokens(0, 16), tokens(100, 32));
        var second = concat(tokens(50, 16), tokens(100, 32));
        index.record(index.prefixKeys(first), "", first.size(), "w1");

        assertThat(index.cachedTokens(index.prefixKeys(second), "", second.size())).isEmpty();
    }

    @Test
    void theLatestWorkerToReceiveAPrefixHoldsIt() {
        var prompt = tokens(0, 32);
        index.record(index.prefixKeys(prompt), "", 32, "w1");
        index.record(index.prefixKeys(prompt), "", 32, "w2");

        assertThat(index.cachedTokens(index.prefixKeys(prompt), "", 32)).containsOnlyKeys("w2");
    }

    @Test
    void aSessionPointsToTheWorkerOfItsPreviousTurn() {
        index.record(index.prefixKeys(tokens(0, 10)), "chat-1", 10, "w3");

        assertThat(index.cachedTokens(index.prefixKeys(tokens(500, 40)), "chat-1", 40)).containsEntry("w3", 10);
        assertThat(index.cachedTokens(index.prefixKeys(tokens(500, 40)), "chat-2", 40)).isEmpty();
    }

    @Test
    void forgetsTheLeastRecentlyUsedEntriesBeyondItsCapacity() {
        var small = new AffinityIndex(16, 2);
        var a = tokens(0, 16);
        small.record(small.prefixKeys(a), "", 16, "w1");
        small.record(small.prefixKeys(tokens(100, 16)), "", 16, "w2");
        small.record(small.prefixKeys(tokens(200, 16)), "", 16, "w3");

        assertThat(small.cachedTokens(small.prefixKeys(a), "", 16)).isEmpty();
    }

    private static List<Integer> concat(List<Integer> a, List<Integer> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
