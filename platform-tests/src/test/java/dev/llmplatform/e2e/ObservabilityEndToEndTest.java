package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.llmplatform.launcher.LocalPlatform;
import dev.llmplatform.monitoring.MonitoringMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The platform as it runs, seen from its observability: a request's id and trace reach every service's log,
 * and every metric that the Grafana dashboards and Prometheus alert rules use is exported by some service.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class ObservabilityEndToEndTest {

    /** Only the GPU worker exports these, and only with an NVIDIA GPU; LocalPlatform starts no GPU worker. */
    private static final Set<String> NEED_A_GPU_WORKER = Set.of(
            "worker_gpu_utilization", "worker_gpu_memory_used_bytes", "worker_gpu_power_watts");
    private static final List<String> SERVICES = List.of(
            "model-registry", "tokenizer-service", "inference-cpu-service", "scheduler-service", "gateway");

    private final HttpClient http = HttpClient.newHttpClient();
    private final String requestId = "req-obs-" + System.nanoTime();
    private final String traceId = HexFormat.of().formatHex(randomBytes(16));
    private LocalPlatform platform;
    private Map<String, Integer> trafficStatuses;

    @BeforeAll
    void startPlatformAndSendTraffic() throws Exception {
        platform = new LocalPlatform("sk-obs-" + System.nanoTime()).start();
        // Lazy meters (per model, route, status …) only exist once a request went through.
        trafficStatuses = Map.of(
                "chat", post("/v1/chat/completions", """
                        {"model": "%s", "max_tokens": 8, "messages": [{"role": "user", "content": "Recite Genesis 1:1"}]}"""
                        .formatted(LocalPlatform.MODEL), true),
                "completion", post("/v1/completions", """
                        {"model": "%s", "max_tokens": 8, "prompt": "In the beginning", "stream": true}"""
                        .formatted(LocalPlatform.MODEL), false),
                "embeddings", post("/v1/embeddings", """
                        {"model": "all-minilm-l6-v2", "input": "In the beginning"}""", false));
    }

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void theRequestIdAndTraceGivenToTheGatewayAppearInEveryDownstreamServicesLog() throws Exception {
        assertThat(trafficStatuses.get("chat")).isEqualTo(200);

        for (String service : List.of("scheduler-service", "tokenizer-service", "inference-cpu-service")) {
            List<String> lines = awaitLogLines(platform.service(service).log(), requestId, Duration.ofSeconds(20));
            assertThat(lines).as("lines of %s's log with request id %s", service, requestId).isNotEmpty();
            assertThat(lines).as("%s's lines of the request carry its trace id", service)
                    .allSatisfy(line -> assertThat(line).contains("[" + traceId + ","));
        }
    }

    @Test
    void everyMetricTheDashboardsAndAlertRulesUseIsExported() throws Exception {
        Set<String> exposed = new TreeSet<>();
        for (String service : SERVICES) {
            var response = http.send(HttpRequest.newBuilder(platform.service(service).actuator("prometheus"))
                    .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(service + " /actuator/prometheus").isEqualTo(200);
            exposed.addAll(MonitoringMetrics.exposedNames(response.body()));
        }
        var monitoring = new MonitoringMetrics(Path.of(System.getProperty("platform.root", "..")).toAbsolutePath().normalize());

        var missing = monitoring.missingFrom(exposed, NEED_A_GPU_WORKER);

        assertThat(monitoring.usedNames()).as("metric names found in the dashboards and rules").hasSizeGreaterThan(20);
        if (!missing.isEmpty()) {
            fail("%d metric names used by monitoring/ are exported by no service (traffic sent, HTTP status by call: %s; "
                            + "exempt because they need a GPU worker: %s):%n%s", missing.size(), trafficStatuses, NEED_A_GPU_WORKER,
                    missing.entrySet().stream().map(e -> "  " + e.getKey() + "  <- " + String.join("; ", e.getValue()))
                            .collect(Collectors.joining("\n")));
        }
    }

    private int post(String path, String body, boolean traced) throws Exception {
        var request = HttpRequest.newBuilder(platform.gateway(path)).timeout(Duration.ofMinutes(2))
                .header("Authorization", "Bearer " + platform.apiKey())
                .header("Content-Type", "application/json");
        if (traced) {
            request.header("x-request-id", requestId)
                    .header("traceparent", "00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01");
        }
        return http.send(request.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** The log's lines that contain {@code text}, waiting for the first one (services log when a call closes). */
    private static List<String> awaitLogLines(Path log, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> lines = List.of();
        while (lines.isEmpty() && System.nanoTime() < deadline) {
            lines = Files.readAllLines(log).stream().filter(l -> l.contains(text)).toList();
            if (lines.isEmpty()) {
                Thread.sleep(200);
            }
        }
        return lines;
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        ThreadLocalRandom.current().nextBytes(bytes);
        bytes[0] |= 1; // never all zero (an invalid trace or span id)
        return bytes;
    }
}
