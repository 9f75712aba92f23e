package dev.llmplatform.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The results of one invocation: every run's summary, and the two ratios the benchmark exists for, taken
 * between runs of the same invocation at the same concurrency and round — gateway vs worker-grpc (what the gateway and
 * scheduler add) and worker-grpc vs reference (what the worker adds to the engine).
 */
public record BenchReport(Map<String, Object> setup, List<RunSummary> runs, List<Ratio> ratios) {

    /** {@code of / to} for throughput and for mean latencies; above 1 means "more" (faster or slower as the column says). */
    public record Ratio(String of, String to, int concurrency, int round, double outputThroughput, double meanTtft, double meanTpot,
                        double meanE2e) {
    }

    public static BenchReport of(Map<String, Object> setup, List<RunSummary> runs) {
        var ratios = new java.util.ArrayList<Ratio>();
        int rounds = runs.stream().mapToInt(RunSummary::round).max().orElse(1);
        for (int c : new TreeSet<>(runs.stream().map(RunSummary::concurrency).toList())) {
            for (int round = 1; round <= rounds; round++) {
                ratio(runs, "gateway", "worker-grpc", c, round).ifPresent(ratios::add);
                ratio(runs, "worker-grpc", "reference", c, round).ifPresent(ratios::add);
                ratio(runs, "gateway", "reference", c, round).ifPresent(ratios::add);
                ratio(runs, "gateway", "llama-server", c, round).ifPresent(ratios::add);
                ratio(runs, "worker-grpc", "llama-server", c, round).ifPresent(ratios::add);
            }
        }
        return new BenchReport(setup, runs, List.copyOf(ratios));
    }

    private static Optional<Ratio> ratio(List<RunSummary> runs, String of, String to, int concurrency, int round) {
        Optional<RunSummary> a = find(runs, of, concurrency, round);
        Optional<RunSummary> b = find(runs, to, concurrency, round);
        if (a.isEmpty() || b.isEmpty()) {
            return Optional.empty();
        }
        RunSummary x = a.get();
        RunSummary y = b.get();
        return Optional.of(new Ratio(of, to, concurrency, round, x.outputTokenThroughput() / y.outputTokenThroughput(),
                x.ttftMs().mean() / y.ttftMs().mean(), x.tpotMs().mean() / y.tpotMs().mean(), x.e2eMs().mean() / y.e2eMs().mean()));
    }

    private static Optional<RunSummary> find(List<RunSummary> runs, String target, int concurrency, int round) {
        return runs.stream().filter(r -> r.target().equals(target) && r.concurrency() == concurrency && r.round() == round)
                .findFirst();
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        Files.writeString(dir.resolve("serve-bench.json"), json.writeValueAsString(this));
        Files.writeString(dir.resolve("serve-bench.md"), markdown());
    }

    public String markdown() {
        var md = new StringBuilder("# Serving benchmark\n\n");
        setup.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
        md.append("\n| target | concurrency | round | ok | failed | output tok/req | req/s | output tok/s | goodput req/s "
                + "| TTFT ms mean / p50 / p90 / p99 | TPOT ms mean / p50 / p90 / p99 | ITL ms mean / p50 / p90 / p99 "
                + "| E2E ms mean / p50 / p90 / p99 |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (RunSummary r : runs) {
            // output tokens per request: with greedy sampling every target must show the same figure
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d%s | %.1f | %.2f | %.1f | %.2f | %s | %s | %s | %s |%n",
                    r.target(), r.concurrency(), r.round(), r.completed(), r.failed(), r.cutShort() ? " (cut short)" : "",
                    r.completed() == 0 ? 0.0 : (double) r.outputTokens() / r.completed(),
                    r.requestThroughput(), r.outputTokenThroughput(), r.goodput(),
                    stats(r.ttftMs()), stats(r.tpotMs()), stats(r.itlMs()), stats(r.e2eMs())));
        }
        md.append("\n| ratio | concurrency | round | output tok/s | mean TTFT | mean TPOT | mean E2E |\n|---|---|---|---|---|---|---|\n");
        for (Ratio r : ratios) {
            md.append(String.format(Locale.ROOT, "| %s / %s | %d | %d | %.2f | %.2f | %.2f | %.2f |%n",
                    r.of(), r.to(), r.concurrency(), r.round(), r.outputThroughput(), r.meanTtft(), r.meanTpot(), r.meanE2e()));
        }
        return md.toString();
    }

    private static String stats(LatencyStats s) {
        return String.format(Locale.ROOT, "%.1f / %.1f / %.1f / %.1f", s.mean(), s.p50(), s.p90(), s.p99());
    }
}
