package dev.llmplatform.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsTest {

    private static RequestRecord ok(long ttftMs, long e2eMs, int tokens) {
        return new RequestRecord(0, 10, tokens, ttftMs * 1_000_000, e2eMs * 1_000_000, new double[0], null);
    }

    @Test
    void percentilesInterpolateBetweenRanksLikeNumpy() {
        double[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(LatencyStats.percentile(sorted, 50)).isEqualTo(5.5);
        assertThat(LatencyStats.percentile(sorted, 90)).isCloseTo(9.1, within(1e-9));
        assertThat(LatencyStats.percentile(sorted, 99)).isCloseTo(9.91, within(1e-9));
    }

    @Test
    void statsAreInMillisecondsAndSkipUndefinedValues() {
        var stats = LatencyStats.ofNanos(new double[] {2_000_000, Double.NaN, 4_000_000});
        assertThat(stats.count()).isEqualTo(2);
        assertThat(stats.mean()).isEqualTo(3.0);
    }

    @Test
    void tpotIsTheTimeAfterTheFirstTokenSpreadOverTheRest() {
        assertThat(ok(100, 1000, 10).tpotNanos() / 1e6).isEqualTo(100.0);
        assertThat(ok(100, 100, 1).tpotNanos()).isNaN();
    }

    @Test
    void goodputCountsOnlySuccessfulRequestsThatMeetEverySlo() {
        var fast = ok(50, 500, 10);      // TPOT 50 ms
        var slowStart = ok(500, 900, 10); // TTFT 500 ms
        var failed = new RequestRecord(0, 10, 0, -1, 10_000_000, new double[0], "HTTP 503");
        var run = new LoadGenerator.Run("gateway", new LoadGenerator.Arrivals(4, Double.POSITIVE_INFINITY, 1),
                List.of(fast, slowStart, failed), 2_000_000_000L, false);

        var summary = RunSummary.of(run, 1, new RunSummary.Slo(100.0, 60.0, null));

        assertThat(summary.completed()).isEqualTo(2);
        assertThat(summary.failed()).isEqualTo(1);
        assertThat(summary.requestThroughput()).isEqualTo(1.0);
        assertThat(summary.goodput()).isEqualTo(0.5);
        assertThat(summary.outputTokenThroughput()).isEqualTo(10.0);
        assertThat(summary.sampleErrors()).containsExactly("HTTP 503");
    }

    @Test
    void timerSpreadsAChunkOfSeveralTokensOverItsGap() throws Exception {
        var timer = new RequestTimer(new BenchPrompt(0, "x", new int[] {1, 2}));
        timer.tokens(1);
        Thread.sleep(20);
        timer.tokens(2);
        RequestRecord record = timer.finish(0);

        assertThat(record.outputTokens()).isEqualTo(3);
        assertThat(record.interTokenNanos()).hasSize(2);
        assertThat(record.interTokenNanos()[0]).isEqualTo(record.interTokenNanos()[1]).isGreaterThan(9e6);
        assertThat(record.ttftNanos()).isLessThan(record.latencyNanos());
    }

    @Test
    void ratiosCompareTargetsAtTheSameConcurrency() {
        var gateway = summary("gateway", 1, 200, 20);
        var worker = summary("worker-grpc", 1, 250, 10);
        var report = BenchReport.of(java.util.Map.of(), List.of(gateway, worker));

        assertThat(report.ratios()).singleElement().satisfies(r -> {
            assertThat(r.of()).isEqualTo("gateway");
            assertThat(r.to()).isEqualTo("worker-grpc");
            assertThat(r.outputThroughput()).isEqualTo(0.8);
            assertThat(r.meanTtft()).isEqualTo(2.0);
        });
        assertThat(report.markdown()).contains("| gateway / worker-grpc | 4 | 1 | 0.80 | 2.00 |");
    }

    @Test
    void eachRoundIsComparedWithTheSameRoundOfTheOtherTarget() {
        var report = BenchReport.of(java.util.Map.of(), List.of(summary("worker-grpc", 1, 250, 10), summary("gateway", 1, 200, 20),
                summary("worker-grpc", 2, 250, 10), summary("gateway", 2, 245, 11)));

        assertThat(report.ratios()).extracting(BenchReport.Ratio::round, BenchReport.Ratio::outputThroughput)
                .containsExactly(tuple(1, 0.8), tuple(2, 0.98));
    }

    private static RunSummary summary(String target, int round, double outputTps, double ttftMs) {
        var stats = new LatencyStats(1, ttftMs, ttftMs, ttftMs, ttftMs);
        var other = new LatencyStats(1, 5, 5, 5, 5);
        return new RunSummary(target, 4, round, Double.POSITIVE_INFINITY, 8, 0, false, 1, 80, (long) outputTps, 8, outputTps,
                outputTps, 8, stats, other, other, other, List.of());
    }
}
