package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.llmplatform.launcher.LocalPlatform;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * POST /v1/embeddings through the whole chain — gateway → scheduler → CPU worker, each its own process — on
 * all-MiniLM-L6-v2, checked against the same model embedded in this JVM by langchain4j.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class EmbeddingsEndToEndTest {

    private static final String MODEL = "all-minilm-l6-v2";
    /** Decimals as BigDecimal, so that each one rounds to float once, exactly as the gateway's float printed it. */
    private static final JsonMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static final List<String> SENTENCES = List.of(
            "A cat is sleeping on the sofa.", "A kitten naps on the couch.", "The central bank raised interest rates.");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AllMiniLmL6V2QuantizedEmbeddingModel reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
    private LocalPlatform platform;

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-e2e-" + System.nanoTime()).start();
        awaitServed(MODEL, Duration.ofMinutes(2));
    }

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void embedsTextsAsTheModelItselfDoesWithRealTokenCounts() throws Exception {
        JsonNode response = ok(post("""
                {"model": "%s", "input": %s}""".formatted(MODEL, JSON.writeValueAsString(SENTENCES))));

        assertThat(response.at("/object").asString()).isEqualTo("list");
        assertThat(response.at("/model").asString()).isEqualTo(MODEL);
        assertThat(response.at("/data")).hasSize(3);
        float[][] vectors = new float[3][];
        for (int i = 0; i < 3; i++) {
            JsonNode item = response.at("/data/" + i);
            assertThat(item.at("/object").asString()).isEqualTo("embedding");
            assertThat(item.at("/index").asInt()).isEqualTo(i);
            vectors[i] = floats(item.at("/embedding"));
            assertThat(vectors[i]).hasSize(384);
            assertThat(cosine(vectors[i], reference.embed(SENTENCES.get(i)).content().vector())).isGreaterThan(0.9999);
        }
        assertThat(cosine(vectors[0], vectors[1])).isGreaterThan(cosine(vectors[0], vectors[2]) + 0.3);
        int tokens = SENTENCES.stream().mapToInt(this::tokensOf).sum();
        assertThat(response.at("/usage/prompt_tokens").asInt()).isEqualTo(tokens);
        assertThat(response.at("/usage/total_tokens").asInt()).isEqualTo(tokens);
    }

    @Test
    void base64CarriesExactlyTheFloatsAsLittleEndianFloat32() throws Exception {
        JsonNode floats = ok(post("""
                {"model": "%s", "input": "Vectors, please."}""".formatted(MODEL)));
        JsonNode base64 = ok(post("""
                {"model": "%s", "input": "Vectors, please.", "encoding_format": "base64"}""".formatted(MODEL)));

        var decoded = ByteBuffer.wrap(Base64.getDecoder().decode(base64.at("/data/0/embedding").asString()))
                .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] fromBase64 = new float[decoded.remaining()];
        decoded.get(fromBase64);
        assertThat(fromBase64).isEqualTo(floats(floats.at("/data/0/embedding")));
        assertThat(base64.at("/usage")).isEqualTo(floats.at("/usage"));
    }

    @Test
    void refusesBadRequestsWithOpenAiErrors() throws Exception {
        assertError(post("""
                {"model": "%s", "input": "%s"}""".formatted(MODEL, "word ".repeat(300))), 400, "maximum context length is 256 tokens");
        assertError(post("""
                {"model": "%s", "input": [[101, 7592, 102]]}""".formatted(MODEL)), 400, "Token-id input is not supported");
        assertError(post("""
                {"model": "%s", "input": "hi", "dimensions": 128}""".formatted(MODEL)), 400, "384-dimensional");
        assertError(post("""
                {"model": "%s", "input": []}""".formatted(MODEL)), 400, "empty array");
        assertError(post("""
                {"model": "%s", "input": "hi"}""".formatted(LocalPlatform.MODEL)), 400, "does not serve embeddings");
        assertError(post("""
                {"model": "no-such-model", "input": "hi"}"""), 404, "no-such-model");
    }

    @Test
    void theEmbeddingModelIsListedAmongTheModels() throws Exception {
        var response = http.send(authorized(platform.gateway("/v1/models")).GET().build(), HttpResponse.BodyHandlers.ofString());

        List<String> ids = new java.util.ArrayList<>();
        JSON.readTree(response.body()).at("/data").forEach(m -> ids.add(m.at("/id").asString()));
        assertThat(ids).contains(MODEL, LocalPlatform.MODEL);
    }

    @Test
    void openAisJavaClientGetsEmbeddingsInFloatAndBase64() {
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .apiKey(platform.apiKey())
                .baseUrl(platform.gateway("/v1").toString())
                .maxRetries(0)
                .build();
        try {
            CreateEmbeddingResponse floats = client.embeddings().create(EmbeddingCreateParams.builder()
                    .model(MODEL).inputOfArrayOfStrings(SENTENCES).encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT).build());
            CreateEmbeddingResponse base64 = client.embeddings().create(EmbeddingCreateParams.builder()
                    .model(MODEL).inputOfArrayOfStrings(SENTENCES).encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64).build());

            assertThat(floats.data()).hasSize(3);
            assertThat(floats.data().get(0).embedding()).hasSize(384);
            assertThat(floats.model()).isEqualTo(MODEL);
            assertThat(floats.usage().promptTokens()).isEqualTo(SENTENCES.stream().mapToInt(this::tokensOf).sum());
            for (int i = 0; i < 3; i++) {
                assertThat(base64.data().get(i).embedding()).isEqualTo(floats.data().get(i).embedding());
            }
            var refusal = catchThrowableOfType(BadRequestException.class, () -> client.embeddings().create(
                    EmbeddingCreateParams.builder().model(MODEL).input("hi").dimensions(64).build()));
            assertThat(refusal.statusCode()).isEqualTo(400);
        } finally {
            client.close();
        }
    }

    /** The reference's token count for one sentence, [CLS] and [SEP] included (langchain4j reports it without them). */
    private int tokensOf(String sentence) {
        return reference.embed(sentence).tokenUsage().inputTokenCount() + 2;
    }

    private void awaitServed(String model, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            var response = http.send(authorized(platform.gateway("/v1/models")).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200 && response.body().contains("\"" + model + "\"")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(model + " not served within " + timeout + "; worker log:\n"
                + LocalPlatform.tail(platform.service("inference-cpu-service").log()));
    }

    private HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + platform.apiKey());
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(authorized(platform.gateway("/v1/embeddings")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static void assertError(HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = JSON.readTree(response.body()).at("/error");
        assertThat(error.at("/message").asString()).contains(message);
        assertThat(error.at("/type").asString()).isEqualTo("invalid_request_error");
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).decimalValue().floatValue();
        }
        return values;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
