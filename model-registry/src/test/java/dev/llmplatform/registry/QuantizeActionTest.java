package dev.llmplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.EvaluateArtifactRequest;
import dev.llmplatform.proto.v1.EvaluateArtifactResponse;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.QuantizeArtifactChunk;
import dev.llmplatform.proto.v1.QuantizeArtifactRequest;
import dev.llmplatform.proto.v1.QuantizeProgress;
import dev.llmplatform.proto.v1.QuantizeResult;
import dev.llmplatform.proto.v1.VariantMeasurements;
import dev.llmplatform.registry.domain.QuantizeJob;
import dev.llmplatform.registry.infra.QuantizeJobStore;
import dev.llmplatform.registry.infra.quantize.VariantQuantizer;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The quantize action through the admin REST API against a scripted worker on a real loopback gRPC socket: a job with
 * progress, the new variant stored through the registry's own artifact store with the SHA-256 of the bytes the worker
 * sent, then measured against the version's F16; bad requests answered before any job starts; worker refusals end the
 * job failed with the worker's reason; jobs left running by a stopped registry read failed after a start.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.grpc.server.port=0", "management.server.port=0", "registry.seed.enabled=false",
                "registry.quantizer.enabled=true", "registry.quantizer.worker-wait=2s", "registry.quantizer.start-delay=0s"})
class QuantizeActionTest {

    static final byte[] QUANTIZED = "GGUF pretend-quantized weights".repeat(40_000).getBytes();
    static final ScriptedWorker WORKER = new ScriptedWorker();
    static final Server SERVER = start();
    static final Path DIR = tempDir();
    static final JsonMapper JSON = JsonMapper.builder().build();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:file:" + DIR.resolve("registry"));
        registry.add("registry.artifacts.local-dir", () -> DIR.resolve("artifacts").toString());
        registry.add("registry.quantizer.target", () -> "static://127.0.0.1:" + SERVER.getPort());
    }

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    @Autowired
    QuantizeJobStore jobStore;

    @Autowired
    VariantQuantizer quantizer;

    private final HttpClient http = HttpClient.newHttpClient();

    record Reply(int status, JsonNode body, HttpResponse<String> raw) {
    }

    /** Answers like a worker: progress, the bytes in three chunks, their checksum; canned measurements. */
    static final class ScriptedWorker extends InferenceWorkerGrpc.InferenceWorkerImplBase {
        final List<EvaluateArtifactRequest> evaluations = new CopyOnWriteArrayList<>();
        final List<QuantizeArtifactRequest> quantizations = new CopyOnWriteArrayList<>();

        @Override
        public void quantizeArtifact(QuantizeArtifactRequest request, StreamObserver<QuantizeArtifactChunk> responses) {
            quantizations.add(request);
            if (!request.getTargetType().equals("Q4_K_M")) {
                responses.onError(Status.INVALID_ARGUMENT.withDescription("this worker only makes Q4_K_M").asRuntimeException());
                return;
            }
            responses.onNext(progress("quantizing", 0.1));
            int third = QUANTIZED.length / 3;
            responses.onNext(QuantizeArtifactChunk.newBuilder().setData(ByteString.copyFrom(QUANTIZED, 0, third)).build());
            responses.onNext(progress("sending", 0.6));
            responses.onNext(QuantizeArtifactChunk.newBuilder().setData(ByteString.copyFrom(QUANTIZED, third, third)).build());
            responses.onNext(QuantizeArtifactChunk.newBuilder().setData(ByteString.copyFrom(QUANTIZED, 2 * third, QUANTIZED.length - 2 * third)).build());
            responses.onNext(QuantizeArtifactChunk.newBuilder().setResult(QuantizeResult.newBuilder().setSha256(sha256(QUANTIZED))
                    .setSizeBytes(QUANTIZED.length).setQuantization("q4_k_m")).build());
            responses.onCompleted();
        }

        @Override
        public void evaluateArtifact(EvaluateArtifactRequest request, StreamObserver<EvaluateArtifactResponse> responses) {
            evaluations.add(request);
            var measured = VariantMeasurements.newBuilder().setPerplexity(request.hasReference() ? 70.5 : 68.3).setScoredTokens(508)
                    .setTextName(request.getTextName()).setDecodeTokensPerSecond(1900).setMemoryBytes(4_476_928)
                    .setDeviceClass(DeviceClass.DEVICE_CLASS_CPU).setDevice("CPU: scripted").setMeasuredEpochSeconds(Instant.now().getEpochSecond());
            if (request.hasReference()) {
                measured.setTop1Agreement(0.9665).setKlDivergence(0.0012);
            }
            responses.onNext(EvaluateArtifactResponse.newBuilder().setMeasurements(measured).build());
            responses.onCompleted();
        }

        private static QuantizeArtifactChunk progress(String stage, double fraction) {
            return QuantizeArtifactChunk.newBuilder().setProgress(QuantizeProgress.newBuilder().setStage(stage).setFraction(fraction)).build();
        }
    }

    private static Server start() {
        try {
            return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(WORKER).build().start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("quantize-action");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stop() {
        SERVER.shutdownNow();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Reply send(String method, String path, HttpRequest.BodyPublisher body, String contentType) throws Exception {
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).method(method, body);
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body().isBlank() ? JSON.nullNode() : JSON.readTree(response.body()), response);
    }

    private Reply post(String path, String json) throws Exception {
        return send("POST", path, HttpRequest.BodyPublishers.ofString(json), "application/json");
    }

    private Reply get(String path) throws Exception {
        return send("GET", path, HttpRequest.BodyPublishers.noBody(), null);
    }

    /** A chat model with version 1 holding an F16 GGUF variant (cpu-f16) and a Q8_0 one (cpu-q8). */
    private void registerModel(String id) throws Exception {
        assertThat(post("/admin/models", "{\"id\": \"" + id + "\"}").status()).isEqualTo(201);
        assertThat(post("/admin/models/" + id + "/versions", "{\"version\": \"1\"}").status()).isEqualTo(201);
        for (String[] variant : new String[][] {{"cpu-f16", "f16"}, {"cpu-q8", "q8_0"}}) {
            byte[] bytes = ("GGUF " + variant[0]).getBytes();
            var upload = send("PUT", "/admin/models/" + id + "/versions/1/variants/" + variant[0] + "?format=gguf&device_class=cpu&quantization="
                    + variant[1] + "&sha256=" + sha256(bytes), HttpRequest.BodyPublishers.ofByteArray(bytes), "application/octet-stream");
            assertThat(upload.status()).isEqualTo(201);
        }
    }

    private JsonNode variant(String model, String variantId) throws Exception {
        for (JsonNode v : get("/admin/models/" + model).body().get("versions").get(0).get("variants")) {
            if (v.get("variant_id").asString().equals(variantId)) {
                return v;
            }
        }
        throw new AssertionError("no variant " + variantId);
    }

    @Test
    void quantizingMakesAMeasuredVariantWithItsChecksumAsABackgroundJob() throws Exception {
        registerModel("m1");

        Reply accepted = post("/admin/models/m1/versions/1/variants/cpu-f16/quantize", "{\"type\": \"q4_k_m\"}");

        assertThat(accepted.status()).isEqualTo(202);
        String jobId = accepted.body().get("id").asString();
        assertThat(accepted.raw().headers().firstValue("Location")).contains("/admin/jobs/" + jobId);
        assertThat(accepted.body().get("variant_id").asString()).isEqualTo("cpu-f16-q4_k_m");
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/admin/jobs/" + jobId).body().get("state").asString().equals("succeeded"));
        JsonNode job = get("/admin/jobs/" + jobId).body();
        assertThat(job.get("progress").asDouble()).isEqualTo(1.0);
        assertThat(job.get("message").asString()).contains(sha256(QUANTIZED));

        JsonNode made = variant("m1", "cpu-f16-q4_k_m");
        assertThat(made.get("sha256").asString()).isEqualTo(sha256(QUANTIZED));
        assertThat(made.get("size_bytes").asLong()).isEqualTo(QUANTIZED.length);
        assertThat(made.get("quantization").asString()).isEqualTo("q4_k_m");
        assertThat(Files.readAllBytes(Path.of(URI.create(made.get("uri").asString())))).isEqualTo(QUANTIZED);
        JsonNode measured = made.get("measurements");
        assertThat(measured.get("perplexity").asDouble()).isEqualTo(70.5);
        assertThat(measured.get("reference_variant_id").asString()).isEqualTo("cpu-f16");
        assertThat(measured.get("top1_agreement").asDouble()).isEqualTo(0.9665);
        assertThat(measured.get("decode_tokens_per_second").asDouble()).isEqualTo(1900);
        assertThat(measured.get("memory_bytes").asLong()).isEqualTo(4_476_928);

        // the F16 itself was measured at registration, with nothing to compare with; the worker read the registry's default text
        await().atMost(Duration.ofSeconds(10)).until(() -> variant("m1", "cpu-f16").has("measurements")
                && !variant("m1", "cpu-f16").get("measurements").isNull());
        assertThat(variant("m1", "cpu-f16").get("measurements").get("top1_agreement").isNull()).isTrue();
        var evaluationOfQ4 = WORKER.evaluations.stream().filter(e -> e.getArtifact().getUri().equals(made.get("uri").asString())).findFirst().orElseThrow();
        assertThat(evaluationOfQ4.getReference().getUri()).isEqualTo(variant("m1", "cpu-f16").get("uri").asString());
        assertThat(evaluationOfQ4.getText()).contains("river");
        assertThat(meters.get("registry.variant.perplexity").tags("model", "m1", "variant", "cpu-f16-q4_k_m").gauge().value())
                .isEqualTo(70.5);

        // asked again: the variant exists
        assertThat(post("/admin/models/m1/versions/1/variants/cpu-f16/quantize", "{\"type\": \"Q4_K_M\"}").status()).isEqualTo(409);
    }

    @Test
    void badRequestsAreRefusedBeforeAJobStarts() throws Exception {
        registerModel("m2");
        int before = WORKER.quantizations.size();

        assertThat(post("/admin/models/m2/versions/1/variants/cpu-f16/quantize", "{\"type\": \"Q9_9\"}").status()).isEqualTo(400);
        assertThat(post("/admin/models/m2/versions/1/variants/cpu-q8/quantize", "{\"type\": \"Q4_K_M\"}").status()).isEqualTo(400);
        assertThat(post("/admin/models/m2/versions/1/variants/gpu-f16/quantize", "{\"type\": \"Q4_K_M\"}").status()).isEqualTo(404);
        assertThat(post("/admin/models/m2/versions/9/variants/cpu-f16/quantize", "{\"type\": \"Q4_K_M\"}").status()).isEqualTo(404);
        assertThat(post("/admin/models/none/versions/1/variants/cpu-f16/quantize", "{\"type\": \"Q4_K_M\"}").status()).isEqualTo(404);
        assertThat(get("/admin/jobs/no-such-job").status()).isEqualTo(404);
        assertThat(WORKER.quantizations).hasSize(before);
    }

    @Test
    void aWorkerRefusalEndsTheJobFailedWithTheWorkersReason() throws Exception {
        registerModel("m3");

        String jobId = post("/admin/models/m3/versions/1/variants/cpu-f16/quantize", "{\"type\": \"Q5_0\"}").body().get("id").asString();

        await().atMost(Duration.ofSeconds(30)).until(() -> get("/admin/jobs/" + jobId).body().get("state").asString().equals("failed"));
        assertThat(get("/admin/jobs/" + jobId).body().get("message").asString()).contains("INVALID_ARGUMENT").contains("only makes Q4_K_M");
        assertThat(get("/admin/models/m3").body().get("versions").get(0).get("variants")).hasSize(2);
    }

    @Test
    void jobsAStoppedRegistryLeftRunningReadFailedAfterAStart() throws Exception {
        Instant now = Instant.now();
        jobStore.insert(new QuantizeJob("left-running", "m4", "1", "cpu-f16", "Q8_0", "cpu-f16-q8_0", QuantizeJob.State.RUNNING,
                "quantizing", 0.3, "", now, now));

        quantizer.start();

        JsonNode job = get("/admin/jobs/left-running").body();
        assertThat(job.get("state").asString()).isEqualTo("failed");
        assertThat(job.get("message").asString()).contains("registry stopped");
    }
}
