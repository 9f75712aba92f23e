package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.LoadedModel;
import io.grpc.ManagedChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The production alias in motion, across the whole platform (each service its own process): a version registered
 * and promoted through the registry's admin API is served by the running CPU worker without a restart, while
 * concurrent chat completions see no error; a corrupted artifact is refused at upload and at load.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ModelPromotionTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String MODEL = LocalPlatform.MODEL;
    private static final int LOAD_THREADS = 4;
    private static final Duration LOAD_LIMIT = Duration.ofSeconds(20);

    private LocalPlatform platform;
    private ManagedChannel workerChannel;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private HttpClient adminHttp;

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-promotion-" + System.nanoTime()).start();
        // an operator's own calls to the registry's admin API present the admin certificate
        adminHttp = platform.httpsClient("admin");
        // the scheduler's role: it is the one that reads a worker's load report
        workerChannel = platform.channel("inference-cpu-service", "scheduler-service");
    }

    @AfterAll
    void stopPlatform() {
        if (workerChannel != null) {
            workerChannel.shutdownNow();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    @Order(1)
    void promotingANewVersionSwitchesTheRunningWorkerWithoutAFailedRequest() throws Exception {
        assertThat(servedModel().getVariantId()).isEqualTo("cpu-f16");
        String answerBefore = chat().at("/choices/0/message/content").asString();

        var load = new LoadGenerator();
        load.start();
        try {
            Thread.sleep(2_000);
            assertThat(admin("POST", "/admin/models/" + MODEL + "/versions", json("{\"version\": \"2\", \"description\": \"same weights, new name\"}")).statusCode())
                    .isEqualTo(201);
            HttpResponse<String> uploaded = upload("2", "cpu-f16-v2", Files.readAllBytes(platform.modelFile()), sha256(platform.modelFile()));
            assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
            long promotedAt = System.nanoTime();
            assertThat(admin("POST", "/admin/models/" + MODEL + "/versions/2/promote", HttpRequest.BodyPublishers.noBody()).statusCode())
                    .isEqualTo(200);

            LoadedModel switched = awaitServed(m -> m.getVariantId().equals("cpu-f16-v2"), Duration.ofSeconds(60));
            long switchMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - promotedAt);
            load.markSwitch();
            Thread.sleep(3_000);
            load.stop();

            System.out.printf("promotion: worker served version 2 %d ms after the promote call; load: %s%n", switchMillis, load);
            assertThat(load.errors).as("failed requests during the switch: %s", load.failures).isEmpty();
            assertThat(load.succeeded.get()).isPositive();
            assertThat(load.succeededAfterSwitch.get()).as("requests served by the new version").isPositive();
            long version2Created = JSON.readTree(admin("GET", "/admin/models/" + MODEL, null).body()).at("/versions/1/created_at").asString()
                    .transform(java.time.Instant::parse).getEpochSecond();
            assertThat(switched.getCreatedEpochSeconds()).isEqualTo(version2Created);
            JsonNode listed = modelsListed();
            assertThat(listed.at("/data/0/id").asString()).isEqualTo(MODEL);
            assertThat(listed.at("/data/0/created").asLong()).as("/v1/models reflects the served version").isEqualTo(version2Created);
            assertThat(chat().at("/choices/0/message/content").asString()).as("same weights, same greedy answer").isEqualTo(answerBefore);
        } finally {
            load.stop();
        }
    }

    @Test
    @Order(2)
    void aCorruptedArtifactIsRefusedAtUploadAndTheWorkerRefusesToLoadOne() throws Exception {
        LoadedModel servedBefore = servedModel();
        byte[] weights = Files.readAllBytes(platform.modelFile());
        String sha256 = sha256(platform.modelFile());
        byte[] corrupted = weights.clone();
        corrupted[corrupted.length / 2] ^= 0x5a;
        assertThat(admin("POST", "/admin/models/" + MODEL + "/versions", json("{\"version\": \"3\"}")).statusCode()).isEqualTo(201);

        HttpResponse<String> refused = upload("3", "cpu-f16-v3", corrupted, sha256);

        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(refused.body()).at("/error/message").asString()).contains("checksum mismatch");
        assertThat(JSON.readTree(admin("GET", "/admin/models/" + MODEL, null).body()).at("/versions/2/variants").size()).isZero();

        // a file that was intact at upload and corrupted on disk afterwards: the worker must refuse it at load
        HttpResponse<String> uploaded = upload("3", "cpu-f16-v3", weights, sha256);
        assertThat(uploaded.statusCode()).isEqualTo(201);
        Path stored = Path.of(URI.create(JSON.readTree(uploaded.body()).at("/variants/0/uri").asString()));
        try (var file = java.nio.channels.FileChannel.open(stored, StandardOpenOption.WRITE)) {
            file.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) (weights[weights.length / 2] ^ 0x5a)}), weights.length / 2);
        }
        assertThat(admin("POST", "/admin/models/" + MODEL + "/versions/3/promote", HttpRequest.BodyPublishers.noBody()).statusCode())
                .isEqualTo(200);

        Path workerLog = platform.service("inference-cpu-service").log();
        awaitLogLine(workerLog, "refused " + MODEL + " version 3", Duration.ofSeconds(60));
        assertThat(Files.readString(workerLog)).contains("checksum mismatch for " + stored);
        assertThat(servedModel().getVariantId()).as("the previous version keeps serving").isEqualTo(servedBefore.getVariantId());
        assertThat(chat().at("/choices/0/message/content").asString()).isNotBlank();
    }

    private JsonNode chat() throws Exception {
        HttpResponse<String> response = http.send(authorized(platform.gateway("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model": "%s", "temperature": 0, "max_tokens": 16,
                         "messages": [{"role": "user", "content": "Recite Genesis 1:1"}]}""".formatted(MODEL))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private JsonNode modelsListed() throws Exception {
        return JSON.readTree(http.send(authorized(platform.gateway("/v1/models")).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + platform.apiKey()).header("Content-Type", "application/json");
    }

    private HttpResponse<String> admin(String method, String path, HttpRequest.BodyPublisher body) throws Exception {
        var request = HttpRequest.newBuilder(platform.internal("model-registry", path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return adminHttp.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> upload(String version, String variant, byte[] bytes, String sha256) throws Exception {
        var request = HttpRequest.newBuilder(platform.internal("model-registry",
                        "/admin/models/%s/versions/%s/variants/%s?format=gguf&device_class=cpu&quantization=f16&sha256=%s"
                        .formatted(MODEL, version, variant, sha256)))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes));
        return adminHttp.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.BodyPublisher json(String body) {
        return HttpRequest.BodyPublishers.ofString(body);
    }

    private LoadedModel servedModel() {
        LoadReport report = InferenceWorkerGrpc.newBlockingStub(workerChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getLoad(GetLoadRequest.getDefaultInstance());
        return report.getModelsList().stream().filter(m -> m.getId().equals(MODEL)).findFirst()
                .orElseThrow(() -> new AssertionError("worker serves no " + MODEL + ": " + report));
    }

    private LoadedModel awaitServed(java.util.function.Predicate<LoadedModel> wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        LoadedModel last = null;
        while (System.nanoTime() < deadline) {
            last = servedModel();
            if (wanted.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the worker did not switch within " + timeout + "; it serves " + last);
    }

    private static void awaitLogLine(Path log, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(log).contains(text)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("'" + text + "' not in " + log + " within " + timeout + ":\n" + LocalPlatform.tail(log));
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** {@value #LOAD_THREADS} threads sending chat completions back to back, for at most {@link #LOAD_LIMIT}. */
    private final class LoadGenerator {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicInteger succeeded = new AtomicInteger();
        final AtomicInteger succeededAfterSwitch = new AtomicInteger();
        final AtomicLong switchedAt = new AtomicLong(Long.MAX_VALUE);
        final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        final Map<String, Integer> failures = new ConcurrentHashMap<>();
        final CountDownLatch done = new CountDownLatch(LOAD_THREADS);
        final List<Thread> threads = new ArrayList<>();

        void start() {
            long deadline = System.nanoTime() + LOAD_LIMIT.toNanos();
            for (int i = 0; i < LOAD_THREADS; i++) {
                threads.add(Thread.ofPlatform().name("load-" + i).start(() -> {
                    try {
                        while (running.get() && System.nanoTime() < deadline) {
                            one();
                        }
                    } finally {
                        done.countDown();
                    }
                }));
            }
        }

        private void one() {
            long started = System.nanoTime();
            try {
                HttpResponse<String> response = http.send(authorized(platform.gateway("/v1/chat/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"model": "%s", "temperature": 0.7, "max_tokens": 24,
                                 "messages": [{"role": "user", "content": "In the beginning"}]}""".formatted(MODEL))).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && JSON.readTree(response.body()).at("/choices/0/finish_reason").isString()) {
                    succeeded.incrementAndGet();
                    if (started > switchedAt.get()) {
                        succeededAfterSwitch.incrementAndGet();
                    }
                } else {
                    errors.add(response.statusCode() + " " + response.body());
                    failures.merge(String.valueOf(response.statusCode()), 1, Integer::sum);
                }
            } catch (Exception e) {
                errors.add(e.toString());
                failures.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            }
        }

        void markSwitch() {
            switchedAt.set(System.nanoTime());
        }

        void stop() throws InterruptedException {
            running.set(false);
            done.await(60, TimeUnit.SECONDS);
        }

        @Override
        public String toString() {
            return "%d threads, %d completions (%d started after the switch), %d errors".formatted(LOAD_THREADS, succeeded.get(),
                    succeededAfterSwitch.get(), errors.size());
        }
    }
}
