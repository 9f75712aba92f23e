package dev.llmplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The admin REST API over a real socket: registration, streamed uploads checked against their SHA-256, the
 * lifecycle, and a clear OpenAI-style 4xx for every kind of bad input. Persists to the local PostgreSQL.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.grpc.server.port=0", "registry.seed.enabled=false", "registry.artifacts.max-upload-size=1MB"})
class AdminApiTest {

    private static final Path STORE = createStore();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @BeforeAll
    static void requirePostgres() {
        PostgresTestDatabase.assumeReachable();
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        PostgresTestDatabase.register(registry);
        registry.add("registry.artifacts.local-dir", STORE::toString);
    }

    private static Path createStore() {
        try {
            return Files.createTempDirectory("registry-store");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @LocalServerPort
    int port;

    /** Health and metrics live on the management port. */
    @org.springframework.boot.test.web.server.LocalManagementPort
    int managementPort;

    private final HttpClient http = HttpClient.newHttpClient();

    record Reply(int status, JsonNode body) {
    }

    private Reply send(String method, String path, HttpRequest.BodyPublisher body, String contentType) throws Exception {
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).method(method, body);
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body().isBlank() ? JSON.nullNode() : JSON.readTree(response.body()));
    }

    private Reply postJson(String path, String json) throws Exception {
        return send("POST", path, HttpRequest.BodyPublishers.ofString(json), "application/json");
    }

    private Reply post(String path) throws Exception {
        return send("POST", path, HttpRequest.BodyPublishers.noBody(), null);
    }

    private Reply upload(String model, String version, String variant, byte[] bytes, String sha256) throws Exception {
        return send("PUT", "/admin/models/%s/versions/%s/variants/%s?format=onnx&device_class=cpu&quantization=int8&sha256=%s"
                .formatted(model, version, variant, sha256), HttpRequest.BodyPublishers.ofByteArray(bytes), "application/octet-stream");
    }

    private String newModelWithVersion(String version) throws Exception {
        String id = "m-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(postJson("/admin/models", """
                {"id": "%s", "owned_by": "acme", "description": "test", "task": "embedding"}""".formatted(id)).status()).isEqualTo(201);
        assertThat(postJson("/admin/models/" + id + "/versions", "{\"version\": \"" + version + "\"}").status()).isEqualTo(201);
        return id;
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static long filesInStore() throws IOException {
        try (Stream<Path> files = Files.walk(STORE)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    private static void assertError(Reply reply, int status, String code, String message) {
        assertThat(reply.status()).isEqualTo(status);
        assertThat(reply.body().at("/error/type").asString()).isEqualTo("invalid_request_error");
        assertThat(reply.body().at("/error/code").asString()).isEqualTo(code);
        assertThat(reply.body().at("/error/message").asString()).contains(message);
    }

    @Test
    void anUploadedVariantIsStoredVerifiedAndServedOncePromoted() throws Exception {
        String id = newModelWithVersion("1");
        byte[] artifact = randomBytes(200_000);

        Reply uploaded = upload(id, "1", "cpu-int8", artifact, sha256(artifact));
        Reply promoted = post("/admin/models/" + id + "/versions/1/promote");

        assertThat(uploaded.status()).isEqualTo(201);
        assertThat(uploaded.body().at("/variants/0/sha256").asString()).isEqualTo(sha256(artifact));
        assertThat(uploaded.body().at("/variants/0/size_bytes").asLong()).isEqualTo(artifact.length);
        assertThat(promoted.status()).isEqualTo(200);
        assertThat(promoted.body().at("/stage").asString()).isEqualTo("production");
        Path stored = Path.of(URI.create(uploaded.body().at("/variants/0/uri").asString()));
        assertThat(stored).startsWith(STORE).hasBinaryContent(artifact);
        HttpResponse<byte[]> download = http.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + port + "/admin/models/" + id + "/versions/1/variants/cpu-int8/artifact")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.body()).isEqualTo(artifact);
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("registry_artifact_bytes_served_total").containsPattern("registry_models\\{[^}]*stage=\"production\"");
        assertThat(send("GET", "/admin/models/" + id, HttpRequest.BodyPublishers.noBody(), null).body().at("/production_version").asString())
                .isEqualTo("1");
    }

    @Test
    void anUploadWhoseBytesDoNotMatchTheDeclaredChecksumIsRefusedAndLeavesNothing() throws Exception {
        String id = newModelWithVersion("1");
        byte[] artifact = randomBytes(300_000);
        byte[] corrupted = artifact.clone();
        corrupted[150_000] ^= 1;
        long before = filesInStore();

        Reply reply = upload(id, "1", "cpu-int8", corrupted, sha256(artifact));

        assertError(reply, 422, "checksum_mismatch", "checksum mismatch");
        assertThat(reply.body().at("/error/param").asString()).isEqualTo("sha256");
        assertThat(filesInStore()).isEqualTo(before);
        assertThat(send("GET", "/admin/models/" + id, HttpRequest.BodyPublishers.noBody(), null).body().at("/versions/0/variants").size())
                .isZero();
    }

    @Test
    void anOversizedUploadIsRefusedWith413AndLeavesNothing() throws Exception {
        String id = newModelWithVersion("1");
        byte[] artifact = randomBytes(1_100_000);
        long before = filesInStore();

        Reply declared = upload(id, "1", "cpu-int8", artifact, sha256(artifact));
        Reply streamed = send("PUT", "/admin/models/%s/versions/1/variants/cpu-int8?format=onnx&device_class=cpu&sha256=%s"
                        .formatted(id, sha256(artifact)),
                HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(artifact)), "application/octet-stream");

        assertError(declared, 413, "artifact_too_large", "at most 1048576");
        assertError(streamed, 413, "artifact_too_large", "1048576 bytes");
        assertThat(filesInStore()).isEqualTo(before);
    }

    @Test
    void badInputGetsAClearClientError() throws Exception {
        String id = newModelWithVersion("1");
        byte[] artifact = randomBytes(1000);

        assertError(postJson("/admin/models/no-such-model/versions", "{\"version\": \"1\"}"), 404, "not_found", "'no-such-model' is not registered");
        assertError(postJson("/admin/models/" + id + "/versions", "{\"version\": \"1\"}"), 409, "already_exists", "version '1'");
        assertError(postJson("/admin/models", "{\"id\": \"" + id + "\"}"), 409, "already_exists", "already registered");
        assertError(postJson("/admin/models", "{\"id\": \"x-" + UUID.randomUUID() + "\", \"task\": \"painting\"}"), 400,
                "invalid_argument", "expected one of chat, embedding");
        assertError(postJson("/admin/models/" + id + "/versions/1/stage", "{\"stage\": \"retired\"}"), 400,
                "invalid_argument", "expected one of registered, staging, production, archived");
        assertError(send("PUT", "/admin/models/%s/versions/1/variants/v?format=safetensors&device_class=cpu&sha256=%s"
                .formatted(id, sha256(artifact)), HttpRequest.BodyPublishers.ofByteArray(artifact), "application/octet-stream"),
                400, "invalid_argument", "expected one of gguf, onnx");
        assertError(send("PUT", "/admin/models/%s/versions/1/variants/v?format=onnx&device_class=tpu&sha256=%s"
                .formatted(id, sha256(artifact)), HttpRequest.BodyPublishers.ofByteArray(artifact), "application/octet-stream"),
                400, "invalid_argument", "expected one of cpu, gpu");
        assertError(upload(id, "1", "v", artifact, "abc"), 400, "invalid_argument", "64 hexadecimal digits");
        assertError(upload(id, "9", "v", artifact, sha256(artifact)), 404, "not_found", "no version '9'");
        assertError(post("/admin/models/" + id + "/versions/1/promote"), 409, "conflict", "has no variants");
        assertError(postJson("/admin/models", "{not json"), 400, "invalid_json", "not valid JSON");
        assertThat(send("GET", "/admin/no-such-endpoint", HttpRequest.BodyPublishers.noBody(), null).body().at("/error/message").asString())
                .isNotBlank();
    }

    @Test
    void theProductionVersionCannotBeArchivedOrDeletedButAnOlderOneCan() throws Exception {
        String id = newModelWithVersion("1");
        postJson("/admin/models/" + id + "/versions", "{\"version\": \"2\"}");
        byte[] one = randomBytes(1000);
        byte[] two = randomBytes(2000);
        upload(id, "1", "cpu", one, sha256(one));
        upload(id, "2", "cpu", two, sha256(two));
        post("/admin/models/" + id + "/versions/1/promote");
        post("/admin/models/" + id + "/versions/2/promote");

        assertError(post("/admin/models/" + id + "/versions/2/archive"), 409, "conflict", "is in production");
        assertError(send("DELETE", "/admin/models/" + id + "/versions/2", HttpRequest.BodyPublishers.noBody(), null), 409, "conflict", "in production");
        JsonNode model = send("GET", "/admin/models/" + id, HttpRequest.BodyPublishers.noBody(), null).body();
        assertThat(model.at("/versions/0/stage").asString()).isEqualTo("archived");
        Path oldFile = Path.of(URI.create(model.at("/versions/0/variants/0/uri").asString()));
        assertThat(send("DELETE", "/admin/models/" + id + "/versions/1", HttpRequest.BodyPublishers.noBody(), null).status()).isEqualTo(204);
        assertThat(oldFile).doesNotExist();
        assertThat(send("DELETE", "/admin/models/" + id, HttpRequest.BodyPublishers.noBody(), null).status()).isEqualTo(204);
        assertThat(send("GET", "/admin/models/" + id, HttpRequest.BodyPublishers.noBody(), null).status()).isEqualTo(404);
    }

    @Test
    void theApiIsDocumentedAsOpenApi() throws Exception {
        Reply docs = send("GET", "/admin/openapi", HttpRequest.BodyPublishers.noBody(), null);

        assertThat(docs.status()).isEqualTo(200);
        assertThat(docs.body().at("/openapi").asString()).startsWith("3.");
        assertThat(docs.body().at("/paths").propertyNames()).contains("/admin/models",
                "/admin/models/{modelId}/versions/{version}/variants/{variantId}", "/admin/models/{modelId}/versions/{version}/promote");
        HttpResponse<String> ui = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/docs")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.body()).contains("swagger-ui");
    }
}
