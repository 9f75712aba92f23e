package dev.llmplatform.bench;

import java.util.Arrays;

/** Mean and percentiles of one latency, in milliseconds; percentiles interpolate linearly between ranks (as numpy does). */
public record LatencyStats(int count, double mean, double p50, double p90, double p99) {

    static final LatencyStats EMPTY = new LatencyStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    public static LatencyStats ofNanos(double[] nanos) {
        double[] values = Arrays.stream(nanos).filter(v -> !Double.isNaN(v)).map(v -> v / 1e6).sorted().toArray();
        if (values.length == 0) {
            return EMPTY;
        }
        return new LatencyStats(values.length, Arrays.stream(values).average().orElseThrow(),
                percentile(values, 50), percentile(values, 90), percentile(values, 99));
    }

    static double percentile(double[] sorted, double p) {
        double rank = p / 100.0 * (sorted.length - 1);
        int lower = (int) Math.floor(rank);
        int upper = (int) Math.ceil(rank);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower);
    }
}
