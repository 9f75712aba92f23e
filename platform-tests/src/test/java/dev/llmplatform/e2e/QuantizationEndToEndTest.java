package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.launcher.LocalPlatform;
import dev.llmplatform.proto.v1.ArtifactRef;
import dev.llmplatform.proto.v1.EvaluateArtifactRequest;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.ListModelsRequest;
import dev.llmplatform.proto.v1.LoadModelRequest;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.proto.v1.QuantizeArtifactRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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
 * Quantization inside the platform, every service its own process: on its first start the registry has the CPU
 * worker make the default model's Q8_0 and Q4_K_M variants (as ./platform up does), stores them with their SHA-256
 * and has every variant measured; the admin action makes another type the same way; the registry's gRPC API, admin
 * JSON and metrics carry the measurements; quality falls F16, Q8_0, Q4_K_M; the worker serves each variant; and no
 * other service may quantize or measure on a worker.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class QuantizationEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String MODEL = LocalPlatform.MODEL;
    /** As LlamaQuantizerTest: a finer type may be a hair worse on a few KB of text, never 2% worse. */
    private static final double TOLERANCE = 1.02;

    private LocalPlatform platform;
    private HttpClient adminHttp;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-quantize-" + System.nanoTime()).withQuantizer().start();
        adminHttp = platform.httpsClient("admin");
    }

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    @Order(1)
    void theFirstStartMakesTheDefaultModelsQ8AndQ4VariantsMeasuredAgainstItsF16() throws Exception {
        Map<String, JsonNode> variants = awaitMeasured("cpu-f16", "cpu-f16-q8_0", "cpu-f16-q4_k_m");

        JsonNode f16 = variants.get("cpu-f16");
        JsonNode q8 = variants.get("cpu-f16-q8_0");
        JsonNode q4 = variants.get("cpu-f16-q4_k_m");
        for (JsonNode quantized : new JsonNode[] {q8, q4}) {
            Path file = Path.of(URI.create(quantized.get("uri").asString()));
            assertThat(quantized.get("sha256").asString()).isEqualTo(sha256(file));
            assertThat(quantized.get("size_bytes").asLong()).isEqualTo(Files.size(file)).isLessThan(f16.get("size_bytes").asLong());
            assertThat(quantized.at("/measurements/reference_variant_id").asString()).isEqualTo("cpu-f16");
            assertThat(quantized.at("/measurements/text").asString()).isEqualTo("heldout.txt");
        }
        assertThat(q8.get("quantization").asString()).isEqualTo("q8_0");
        assertThat(q4.get("quantization").asString()).isEqualTo("q4_k_m");
        double pF16 = f16.at("/measurements/perplexity").asDouble();
        double pQ8 = q8.at("/measurements/perplexity").asDouble();
        double pQ4 = q4.at("/measurements/perplexity").asDouble();
        System.out.printf("e2e perplexity F16 %.3f Q8_0 %.3f Q4_K_M %.3f; top-1 Q8_0 %.4f Q4_K_M %.4f; decode tok/s %.0f %.0f %.0f%n",
                pF16, pQ8, pQ4, q8.at("/measurements/top1_agreement").asDouble(), q4.at("/measurements/top1_agreement").asDouble(),
                f16.at("/measurements/decode_tokens_per_second").asDouble(), q8.at("/measurements/decode_tokens_per_second").asDouble(),
                q4.at("/measurements/decode_tokens_per_second").asDouble());
        assertThat(pF16).isGreaterThan(1).isLessThanOrEqualTo(pQ8 * TOLERANCE);
        assertThat(pQ8).isLessThanOrEqualTo(pQ4 * TOLERANCE);
        assertThat(q8.at("/measurements/top1_agreement").asDouble()).isGreaterThanOrEqualTo(q4.at("/measurements/top1_agreement").asDouble());
        assertThat(q4.at("/measurements/memory_bytes").asLong()).isLessThan(q8.at("/measurements/memory_bytes").asLong());
        assertThat(f16.at("/measurements/decode_tokens_per_second").asDouble()).isPositive();

        // the same figures reach every service through the registry's gRPC API, and Prometheus through its gauges
        ManagedChannel registry = platform.channel("model-registry", "scheduler-service");
        try {
            var model = ModelRegistryGrpc.newBlockingStub(registry).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
                    .filter(m -> m.getId().equals(MODEL)).findFirst().orElseThrow();
            Map<String, ModelArtifact> artifacts = model.getArtifactsList().stream()
                    .collect(Collectors.toMap(ModelArtifact::getVariantId, a -> a));
            assertThat(artifacts.get("cpu-f16-q4_k_m").getMeasurements().getPerplexity()).isEqualTo(pQ4);
            assertThat(artifacts.get("cpu-f16-q4_k_m").getSha256()).isEqualTo(q4.get("sha256").asString());
            assertThat(model.getArtifacts(0).getVariantId()).as("the variant workers serve stays the F16").isEqualTo("cpu-f16");
        } finally {
            registry.shutdownNow();
        }
        assertThat(platform.metric("model-registry", "registry_variant_perplexity", "variant=\"cpu-f16-q4_k_m\"")).isEqualTo(pQ4);
    }

    @Test
    @Order(2)
    void theAdminActionQuantizesToAnotherTypeAsAJob() throws Exception {
        HttpResponse<String> accepted = admin("POST", "/admin/models/" + MODEL + "/versions/1/variants/cpu-f16/quantize", "{\"type\": \"Q5_K_M\"}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String job = JSON.readTree(accepted.body()).get("id").asString();

        JsonNode done = awaitJob(job);

        assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("succeeded");
        JsonNode q5 = awaitMeasured("cpu-f16-q5_k_m").get("cpu-f16-q5_k_m");
        assertThat(done.get("message").asString()).contains(q5.get("sha256").asString());
        assertThat(q5.at("/measurements/top1_agreement").asDouble()).isGreaterThan(0.9);
        assertThat(admin("POST", "/admin/models/" + MODEL + "/versions/1/variants/cpu-f16-q5_k_m/quantize", "{\"type\": \"Q4_0\"}")
                .statusCode()).as("a quantized source").isEqualTo(400);
    }

    @Test
    @Order(3)
    void theWorkerServesEachVariant() throws Exception {
        ManagedChannel worker = platform.channel("inference-cpu-service", "admin");
        ManagedChannel load = platform.channel("inference-cpu-service", "scheduler-service");
        try {
            for (String variant : new String[] {"cpu-f16-q8_0", "cpu-f16-q4_k_m", "cpu-f16"}) {
                JsonNode v = variants().get(variant);
                InferenceWorkerGrpc.newBlockingStub(worker).withDeadlineAfter(60, TimeUnit.SECONDS).loadModel(LoadModelRequest.newBuilder()
                        .setModel(MODEL).setArtifactUri(v.get("uri").asString()).setSha256(v.get("sha256").asString()).build());
                var served = InferenceWorkerGrpc.newBlockingStub(load).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getLoad(GetLoadRequest.getDefaultInstance()).getModelsList().stream()
                        .filter(m -> m.getId().equals(MODEL)).findFirst().orElseThrow();
                assertThat(served.getVariantId()).isEqualTo(variant);
                assertThat(chat()).as(variant).isNotBlank();
            }
        } finally {
            worker.shutdownNow();
            load.shutdownNow();
        }
    }

    @Test
    @Order(4)
    void onlyTheRegistryAndAnOperatorMayQuantizeOrMeasureOnAWorker() throws Exception {
        JsonNode f16 = variants().get("cpu-f16");
        var source = ArtifactRef.newBuilder().setModel(MODEL).setUri(f16.get("uri").asString()).setSha256(f16.get("sha256").asString()).build();
        ManagedChannel asScheduler = platform.channel("inference-cpu-service", "scheduler-service");
        try {
            var worker = InferenceWorkerGrpc.newBlockingStub(asScheduler).withDeadlineAfter(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> worker.quantizeArtifact(QuantizeArtifactRequest.newBuilder().setSource(source)
                    .setTargetType("Q8_0").build()).hasNext())
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
            assertThatThrownBy(() -> worker.evaluateArtifact(EvaluateArtifactRequest.newBuilder().setArtifact(source).setText("x").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        } finally {
            asScheduler.shutdownNow();
        }
    }

    private Map<String, JsonNode> variants() throws Exception {
        JsonNode model = JSON.readTree(admin("GET", "/admin/models/" + MODEL, null).body());
        Map<String, JsonNode> byId = new java.util.HashMap<>();
        for (JsonNode v : model.at("/versions/0/variants")) {
            byId.put(v.get("variant_id").asString(), v);
        }
        return byId;
    }

    private Map<String, JsonNode> awaitMeasured(String... variantIds) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        Map<String, JsonNode> variants = Map.of();
        while (System.nanoTime() < deadline) {
            variants = variants();
            Map<String, JsonNode> seen = variants;
            if (java.util.Arrays.stream(variantIds).allMatch(id -> seen.containsKey(id) && seen.get(id).hasNonNull("measurements"))) {
                return variants;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("not all of " + String.join(", ", variantIds) + " measured: " + variants.keySet()
                + "; jobs: " + admin("GET", "/admin/jobs", null).body());
    }

    private JsonNode awaitJob(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        JsonNode job = null;
        while (System.nanoTime() < deadline) {
            job = JSON.readTree(admin("GET", "/admin/jobs/" + id, null).body());
            if (job.get("state").asString().equals("succeeded") || job.get("state").asString().equals("failed")) {
                return job;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("job " + id + " did not finish: " + job);
    }

    private String chat() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(platform.gateway("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + platform.apiKey())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
                        {"model": "%s", "temperature": 0, "max_tokens": 16,
                         "messages": [{"role": "user", "content": "Recite Genesis 1:1"}]}""".formatted(MODEL))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).at("/choices/0/message/content").asString();
    }

    private HttpResponse<String> admin(String method, String path, String json) throws Exception {
        var request = HttpRequest.newBuilder(platform.internal("model-registry", path)).timeout(Duration.ofSeconds(60))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        return adminHttp.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
