package dev.llmplatform.bench;

import java.util.List;

/**
 * The figures of one run, as vLLM's {@code bench serve} reports them. Throughputs divide by the run's wall time;
 * goodput counts only the successful requests that met every SLO given. {@code round} counts from 1: the how-many-th
 * time this target ran at this concurrency in the invocation.
 */
public record RunSummary(String target, int concurrency, int round, double requestRate, int completed, int failed, boolean cutShort,
                         double durationSeconds, long inputTokens, long outputTokens,
                         double requestThroughput, double outputTokenThroughput, double totalTokenThroughput,
                         double goodput, LatencyStats ttftMs, LatencyStats tpotMs, LatencyStats itlMs, LatencyStats e2eMs,
                         List<String> sampleErrors) {

    /** Service-level objectives a request must meet to count as good; null means "not set". */
    public record Slo(Double ttftMs, Double tpotMs, Double e2eMs) {

        public static final Slo NONE = new Slo(null, null, null);

        boolean met(RequestRecord r) {
            return r.succeeded()
                    && (ttftMs == null || (r.ttftNanos() >= 0 && r.ttftNanos() / 1e6 <= ttftMs))
                    && (tpotMs == null || Double.isNaN(r.tpotNanos()) || r.tpotNanos() / 1e6 <= tpotMs)
                    && (e2eMs == null || r.latencyNanos() / 1e6 <= e2eMs);
        }
    }

    public static RunSummary of(LoadGenerator.Run run, int round, Slo slo) {
        List<RequestRecord> ok = run.records().stream().filter(RequestRecord::succeeded).toList();
        double seconds = run.durationNanos() / 1e9;
        long input = ok.stream().mapToLong(RequestRecord::inputTokens).sum();
        long output = ok.stream().mapToLong(RequestRecord::outputTokens).sum();
        long good = ok.stream().filter(slo::met).count();
        return new RunSummary(run.target(), run.arrivals().concurrency(), round, run.arrivals().requestsPerSecond(),
                ok.size(), run.records().size() - ok.size(), run.cutShort(), seconds, input, output,
                ok.size() / seconds, output / seconds, (input + output) / seconds, good / seconds,
                LatencyStats.ofNanos(ok.stream().filter(r -> r.ttftNanos() >= 0).mapToDouble(RequestRecord::ttftNanos).toArray()),
                LatencyStats.ofNanos(ok.stream().mapToDouble(RequestRecord::tpotNanos).toArray()),
                LatencyStats.ofNanos(ok.stream().flatMapToDouble(r -> java.util.Arrays.stream(r.interTokenNanos())).toArray()),
                LatencyStats.ofNanos(ok.stream().mapToDouble(RequestRecord::latencyNanos).toArray()),
                run.records().stream().filter(r -> !r.succeeded()).map(RequestRecord::error).distinct().limit(5).toList());
    }
}
