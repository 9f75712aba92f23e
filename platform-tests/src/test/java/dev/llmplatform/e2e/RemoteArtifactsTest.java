package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.commons.artifacts.S3ProxyServer;
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
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Artifacts in S3, across the whole platform: the registry stores uploads in a real S3 server (S3Proxy on loopback),
 * the worker and the tokenizer fetch them into their artifact cache, and no service shares a folder with the
 * registry's store. The model loaded from S3 answers exactly as the same file loaded from disk; an object changed
 * in S3 behind the registry's back is refused and the previous version keeps serving.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class RemoteArtifactsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String MODEL = LocalPlatform.MODEL;
    private static final String BUCKET = "models";

    @TempDir
    static Path dir;
    private S3ProxyServer s3;
    private LocalPlatform platform;
    private ManagedChannel workerChannel;
    private HttpClient adminHttp;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private String answerFromDisk;

    @BeforeAll
    void start() throws Exception {
        s3 = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3")));
        s3.createBucket(BUCKET);
        String endpoint = s3.endpoint().toString();
        // every service gets these; each reads its own (the registry's store, the worker's and tokenizer's cache)
        platform = new LocalPlatform("sk-remote-" + System.nanoTime()).withServiceArgs(List.of(
                "--registry.artifacts.store=s3",
                "--registry.artifacts.s3.bucket=" + BUCKET,
                "--registry.artifacts.s3.endpoint=" + endpoint,
                "--registry.artifacts.s3.server-checksum=false",
                "--registry.artifacts.s3.access-key-id=" + S3ProxyServer.IDENTITY,
                "--registry.artifacts.s3.secret-access-key=" + S3ProxyServer.CREDENTIAL,
                "--artifact-cache.dir=" + dir.resolve("cache"),
                "--artifact-cache.s3.endpoint=" + endpoint,
                "--artifact-cache.s3.access-key-id=" + S3ProxyServer.IDENTITY,
                "--artifact-cache.s3.secret-access-key=" + S3ProxyServer.CREDENTIAL)).start();
        adminHttp = platform.httpsClient("admin");
        workerChannel = platform.channel("inference-cpu-service", "scheduler-service");
        // version 1 is the seed: the default model's file on disk
        answerFromDisk = greedyAnswer();
    }

    @AfterAll
    void stop() {
        if (workerChannel != null) {
            workerChannel.shutdownNow();
        }
        if (platform != null) {
            platform.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    @Order(1)
    void theWorkerLoadsAnUploadFromS3AndAnswersExactlyAsTheSameFileFromDisk() throws Exception {
        assertThat(served().getVariantId()).as("the seed, from disk").isEqualTo("cpu-f16");
        String uri = uploadVersion("2", "cpu-f16-s3", Files.readAllBytes(platform.modelFile()));
        assertThat(uri).startsWith("s3://" + BUCKET + "/");

        promote("2");
        awaitServed("cpu-f16-s3", Duration.ofSeconds(90));

        assertThat(greedyAnswer()).as("the same weights from S3 give the same greedy answer").isEqualTo(answerFromDisk);
        // the worker and the tokenizer share the cache folder here, as under ./platform up: one of them downloads
        // the object, the other finds it there
        String logs = Files.readString(platform.service("inference-cpu-service").log())
                + Files.readString(platform.service("tokenizer-service").log());
        assertThat(logs.split(java.util.regex.Pattern.quote("Fetched " + uri), -1)).as("downloads of " + uri).hasSize(2);
        assertThat(platform.metric("inference-cpu-service", "artifact_cache_misses_total")
                + platform.metric("inference-cpu-service", "artifact_cache_hits_total")).isGreaterThanOrEqualTo(1);
        assertThat(dir.resolve("cache").resolve(sha256(platform.modelFile()))).exists();
    }

    @Test
    @Order(2)
    void anObjectChangedInS3BehindTheRegistrysBackIsRefusedAndThePreviousVersionKeepsServing() throws Exception {
        // new bytes (the weights and some padding after them): the cache is addressed by SHA-256, so bytes it holds
        // already, version 2's, would be served from it, checked, without reading S3 again
        byte[] weights = java.util.Arrays.copyOf(Files.readAllBytes(platform.modelFile()), (int) Files.size(platform.modelFile()) + 64);
        String uri = uploadVersion("3", "cpu-f16-s3-v3", weights);
        byte[] corrupted = weights.clone();
        corrupted[corrupted.length / 2] ^= 0x5a;
        String key = uri.substring(("s3://" + BUCKET + "/").length());
        s3.client().putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(corrupted));

        promote("3");

        Path workerLog = platform.service("inference-cpu-service").log();
        awaitLogLine(workerLog, "refused " + MODEL + " version 3", Duration.ofSeconds(90));
        assertThat(Files.readString(workerLog)).contains("checksum mismatch for " + uri);
        assertThat(served().getVariantId()).as("the previous version keeps serving").isEqualTo("cpu-f16-s3");
        assertThat(greedyAnswer()).isEqualTo(answerFromDisk);
    }

    private String uploadVersion(String version, String variant, byte[] weights) throws Exception {
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights));
        assertThat(admin("POST", "/admin/models/" + MODEL + "/versions",
                HttpRequest.BodyPublishers.ofString("{\"version\": \"" + version + "\"}")).statusCode()).isEqualTo(201);
        var request = HttpRequest.newBuilder(platform.internal("model-registry",
                        "/admin/models/%s/versions/%s/variants/%s?format=gguf&device_class=cpu&quantization=f16&sha256=%s"
                                .formatted(MODEL, version, variant, sha256)))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(weights));
        HttpResponse<String> uploaded = adminHttp.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
        return JSON.readTree(uploaded.body()).at("/variants/0/uri").asString();
    }

    private void promote(String version) throws Exception {
        assertThat(admin("POST", "/admin/models/" + MODEL + "/versions/" + version + "/promote", HttpRequest.BodyPublishers.noBody())
                .statusCode()).isEqualTo(200);
    }

    private HttpResponse<String> admin(String method, String path, HttpRequest.BodyPublisher body) throws Exception {
        return adminHttp.send(HttpRequest.newBuilder(platform.internal("model-registry", path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").method(method, body).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String greedyAnswer() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(platform.gateway("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + platform.apiKey()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model": "%s", "temperature": 0, "max_tokens": 24,
                         "messages": [{"role": "user", "content": "Recite Genesis 1:1"}]}""".formatted(MODEL))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(response.body()).at("/choices/0/message/content");
        assertThat(answer.asString()).isNotBlank();
        return answer.asString();
    }

    private LoadedModel served() {
        LoadReport report = InferenceWorkerGrpc.newBlockingStub(workerChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getLoad(GetLoadRequest.getDefaultInstance());
        return report.getModelsList().stream().filter(m -> m.getId().equals(MODEL)).findFirst()
                .orElseThrow(() -> new AssertionError("worker serves no " + MODEL + ": " + report));
    }

    private void awaitServed(String variant, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (served().getVariantId().equals(variant)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the worker did not load " + variant + " within " + timeout + ":\n"
                + LocalPlatform.tail(platform.service("inference-cpu-service").log()));
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
}
