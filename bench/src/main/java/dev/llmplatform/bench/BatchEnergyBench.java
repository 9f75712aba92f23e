package dev.llmplatform.bench;

import dev.llmplatform.launcher.Layout;
import dev.llmplatform.launcher.LocalPlatform;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Batches planned by energy (issue 17) on a two-worker pool of different efficiency: two CPU worker processes, one
 * core and one thread each (so that they are about as fast), declared to the scheduler with different power: "hungry"
 * (120 W while generating over 30 W idle) and "frugal" (25 W over 15 W). The same batch runs three times through the
 * gateway, as a client sends it: planned latency-first, energy-first with OpenAI's 24 h window, and energy-first with
 * a window too short for the frugal worker alone (0.9 of the energy-first run's wall time). For each: wall time, each
 * worker's lines, and the batch's estimated and measured joules (its metadata). Then the time to first token of
 * interactive requests, one at a time, without a batch and with one running (where the batch started: its lines may
 * all be done before the last request). A first, unreported batch warms both workers up. Run with
 * tools/bench/batch-energy.sh; the report is printed and written to {@code <out>/batch-energy.md}.
 *
 * <p>Arguments: {@code REPOSITORY OUT-DIR [LINES]}.
 */
public final class BatchEnergyBench {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern CONTENT = Pattern.compile("\"content\":\"[^\"]");
    private static final String HUNGRY = "cpu-hungry";
    private static final String FRUGAL = "cpu-frugal";
    private static final int MAX_TOKENS = 48;
    private static final int TTFT_REQUESTS = 40;
    private static final Set<String> ENDED = Set.of("completed", "failed", "expired", "cancelled");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final LocalPlatform platform;
    private final int lines;

    private BatchEnergyBench(LocalPlatform platform, int lines) {
        this.platform = platform;
        this.lines = lines;
    }

    /** What one batch came to. */
    record Outcome(String label, String window, String status, double seconds, Map<String, Double> linesByWorker,
                   double estimatedJoules, double measuredJoules, long tokens, String plan) {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]).toAbsolutePath().normalize();
        Path out = Files.createDirectories(Path.of(args[1]).toAbsolutePath());
        int lines = args.length > 2 ? Integer.parseInt(args[2]) : 240;
        List<String> workerArgs = List.of("--worker.threads=1", "--worker.slots=4");
        boolean taskset = Files.isExecutable(Path.of("/usr/bin/taskset"));
        try (var platform = new LocalPlatform("sk-bench-" + System.nanoTime(), Layout.workDir(root, Layout.VERSION, out))
                .withWorkers(List.of(
                        new LocalPlatform.WorkerSpec(HUNGRY, workerArgs, taskset ? List.of("taskset", "-c", "0") : List.of(), "hungry"),
                        new LocalPlatform.WorkerSpec(FRUGAL, workerArgs, taskset ? List.of("taskset", "-c", "1") : List.of(), "frugal")),
                        List.of("--scheduler.device-profiles.hungry.load-watts=150",
                                "--scheduler.device-profiles.hungry.idle-watts=30",
                                "--scheduler.device-profiles.hungry.prefill-tokens-per-second=2000",
                                "--scheduler.device-profiles.hungry.decode-tokens-per-second=200",
                                "--scheduler.device-profiles.frugal.load-watts=40",
                                "--scheduler.device-profiles.frugal.idle-watts=15",
                                "--scheduler.device-profiles.frugal.prefill-tokens-per-second=2000",
                                "--scheduler.device-profiles.frugal.decode-tokens-per-second=200",
                                "--scheduler.batch.concurrency=2",
                                "--scheduler.batch.poll-interval=500ms",
                                "--scheduler.batch.replan-interval=2s"))
                .start()) {
            String report = new BatchEnergyBench(platform, lines).measure();
            System.out.print(report);
            Files.writeString(out.resolve("batch-energy.md"), report);
        }
    }

    private String measure() throws Exception {
        awaitWorkersReady();
        for (int i = 0; i < 8; i++) { // both workers measured before the first plan
            chat("round-robin", "Warm up " + i, 16);
        }
        String input = upload();
        run("latency-first", "24h", input); // warm-up: both workers' JIT and measured speeds settle, not reported
        Outcome latency = run("latency-first", "24h", input);
        Outcome energy = run("energy-first", "24h", input);
        // too short for the frugal worker alone (its share of the window is 0.8), long enough for both
        long tight = (long) Math.ceil(energy.seconds() * 0.9) + 1;
        Outcome tightEnergy = run("energy-first", tight + "s", input);

        var report = new StringBuilder();
        report.append(String.format(Locale.ROOT, "Batch of %d chat lines (max_tokens %d, greedy) on %s (120 W dynamic) and %s "
                + "(25 W dynamic), one core and one thread each; batch concurrency 2 per worker.%n%n", lines, MAX_TOKENS, HUNGRY, FRUGAL));
        report.append("| plan | window | status | wall s | lines hungry / frugal | estimated J | measured J | J per token (measured) |\n");
        report.append("|---|---|---|---|---|---|---|---|\n");
        for (Outcome o : List.of(latency, energy, tightEnergy)) {
            report.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f | %.0f / %.0f | %.0f | %.0f | %.3f |%n", o.label(), o.window(),
                    o.status(), o.seconds(), o.linesByWorker().get(HUNGRY), o.linesByWorker().get(FRUGAL), o.estimatedJoules(),
                    o.measuredJoules(), o.tokens() == 0 ? 0 : o.measuredJoules() / o.tokens()));
        }
        report.append(String.format(Locale.ROOT, "%nenergy-first / latency-first, 24 h window: estimated %.2fx, measured %.2fx the joules, "
                        + "%.2fx the wall time%n", energy.estimatedJoules() / latency.estimatedJoules(),
                energy.measuredJoules() / latency.measuredJoules(), energy.seconds() / latency.seconds()));
        report.append("last plan of each batch (re-planned every 2 s, so the lines are those left then):\n");
        for (Outcome o : List.of(latency, energy, tightEnergy)) {
            report.append("- ").append(o.plan()).append('\n');
        }

        double[] alone = ttfts(TTFT_REQUESTS);
        String running = create(input, "24h", "energy-first");
        double[] withBatch = ttfts(TTFT_REQUESTS);
        await(running);
        report.append(String.format(Locale.ROOT, "%ninteractive TTFT, %d requests one at a time (max_tokens 8): without a batch p50 %.1f ms, "
                        + "p99 %.1f ms; with an energy-first batch running p50 %.1f ms, p99 %.1f ms (p99 ratio %.2fx)%n",
                TTFT_REQUESTS, percentile(alone, 0.5), percentile(alone, 0.99), percentile(withBatch, 0.5), percentile(withBatch, 0.99),
                percentile(withBatch, 0.99) / percentile(alone, 0.99)));
        return report.toString();
    }

    private Outcome run(String plan, String window, String input) throws Exception {
        Map<String, Double> before = generations();
        long started = System.nanoTime();
        String id = create(input, window, plan);
        JsonNode batch = await(id);
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<String, Double> after = generations();
        JsonNode metadata = batch.get("metadata");
        return new Outcome(plan, window, batch.get("status").stringValue(), seconds,
                Map.of(HUNGRY, after.get(HUNGRY) - before.get(HUNGRY), FRUGAL, after.get(FRUGAL) - before.get(FRUGAL)),
                number(metadata, "energy_estimated_joules"), number(metadata, "energy_measured_joules"),
                batch.get("usage").get("total_tokens").longValue(),
                metadata != null && metadata.has("energy_plan") ? metadata.get("energy_plan").stringValue() : "(none)");
    }

    private static double number(JsonNode metadata, String key) {
        return metadata != null && metadata.has(key) ? Double.parseDouble(metadata.get(key).stringValue()) : 0;
    }

    private Map<String, Double> generations() throws IOException, InterruptedException {
        return Map.of(HUNGRY, platform.metric(LocalPlatform.workerService(HUNGRY), "worker_generations_total"),
                FRUGAL, platform.metric(LocalPlatform.workerService(FRUGAL), "worker_generations_total"));
    }

    private String upload() throws Exception {
        var body = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            body.append(JSON.writeValueAsString(Map.of("custom_id", "line-" + i, "method", "POST", "url", "/v1/chat/completions",
                    "body", Map.of("model", LocalPlatform.MODEL, "max_tokens", MAX_TOKENS, "temperature", 0,
                            "messages", List.of(Map.of("role", "user", "content", "Tell of verse " + i + " of the book")))))).append('\n');
        }
        String boundary = "bench-" + UUID.randomUUID();
        String multipart = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n" + body + "\r\n--" + boundary + "--\r\n";
        JsonNode file = send(HttpRequest.newBuilder(platform.gateway("/v1/files"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(multipart)));
        return file.get("id").stringValue();
    }

    private String create(String input, String window, String plan) throws Exception {
        String body = JSON.writeValueAsString(Map.of("input_file_id", input, "endpoint", "/v1/chat/completions",
                "completion_window", window, "metadata", Map.of("batch_plan", plan)));
        return send(HttpRequest.newBuilder(platform.gateway("/v1/batches")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))).get("id").stringValue();
    }

    private JsonNode await(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
        JsonNode batch = send(HttpRequest.newBuilder(platform.gateway("/v1/batches/" + id)).GET());
        while (!ENDED.contains(batch.get("status").stringValue()) && System.nanoTime() < deadline) {
            Thread.sleep(250);
            batch = send(HttpRequest.newBuilder(platform.gateway("/v1/batches/" + id)).GET());
        }
        return batch;
    }

    private JsonNode send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.header("Authorization", "Bearer " + platform.apiKey())
                .timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(request.build().uri() + ": " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Milliseconds to the first generated text of {@code n} streamed chat requests, one at a time. */
    private double[] ttfts(int n) throws Exception {
        double[] ttft = new double[n];
        for (int i = 0; i < n; i++) {
            ttft[i] = chat("", "Interactive question " + i, 8);
        }
        return ttft;
    }

    private double chat(String policy, String content, int maxTokens) throws Exception {
        String body = JSON.writeValueAsString(Map.of("model", LocalPlatform.MODEL, "stream", true, "max_tokens", maxTokens,
                "temperature", 0, "messages", List.of(Map.of("role", "user", "content", content))));
        var request = HttpRequest.newBuilder(platform.gateway("/v1/chat/completions"))
                .header("Authorization", "Bearer " + platform.apiKey()).header("Content-Type", "application/json")
                .timeout(Duration.ofMinutes(2)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (!policy.isEmpty()) {
            request.header("x-llm-placement-policy", policy);
        }
        long sent = System.nanoTime();
        HttpResponse<java.util.stream.Stream<String>> response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        double first = Double.NaN;
        try (var stream = response.body()) {
            for (var it = stream.iterator(); it.hasNext(); ) {
                String line = it.next();
                if (Double.isNaN(first) && line.startsWith("data: {") && CONTENT.matcher(line).find()) {
                    first = (System.nanoTime() - sent) / 1e6;
                }
            }
        }
        if (response.statusCode() != 200 || Double.isNaN(first)) {
            throw new IllegalStateException("chat: HTTP " + response.statusCode() + ", no text");
        }
        return first;
    }

    private void awaitWorkersReady() throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (platform.metric("scheduler-service", "scheduler_workers_ready") < 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    private static double percentile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

}
