package dev.llmplatform.gateway.batch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.gateway.domain.ApiKeyRing;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** /v1/files and /v1/batches over a real socket, with a scripted registry BatchStore on gRPC behind. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class BatchApiTest {

    static final FakeBatchStore store = FakeBatchStore.start();

    static final String SMALL_BATCHES_KEY = "sk-small-batches";

    @DynamicPropertySource
    static void registryTarget(DynamicPropertyRegistry registry) {
        registry.add("gateway.registry-target", store::target);
        // the dev key spelled out (configuring any key retires the implicit one), and a key with a batch token budget
        registry.add("gateway.keys[0].name", () -> "dev");
        registry.add("gateway.keys[0].sha256", () -> ApiKeyRing.sha256Hex("sk-llm-platform-dev"));
        registry.add("gateway.keys[0].scopes", () -> "inference,admin");
        registry.add("gateway.keys[1].name", () -> "small-batches");
        registry.add("gateway.keys[1].sha256", () -> ApiKeyRing.sha256Hex(SMALL_BATCHES_KEY));
        registry.add("gateway.keys[1].batch-tokens-per-day", () -> "1000");
    }

    @AfterAll
    static void stopStore() {
        store.stop();
    }

    @Autowired
    WebTestClient http;

    final JsonMapper json = JsonMapper.builder().build();

    @BeforeEach
    void authenticate() {
        http = http.mutate().defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer sk-llm-platform-dev").build();
    }

    private static final String JSONL = """
            {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": []}}
            {"custom_id": "b", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": []}}
            """;

    private WebTestClient.ResponseSpec upload(String content, String purpose, boolean purposeFirst) {
        var parts = new MultipartBodyBuilder();
        if (purposeFirst && purpose != null) {
            parts.part("purpose", purpose);
        }
        parts.part("file", new ByteArrayResource(content.getBytes(StandardCharsets.UTF_8)) {
            @Override
            public String getFilename() {
                return "requests.jsonl";
            }
        }).contentType(MediaType.APPLICATION_OCTET_STREAM);
        if (!purposeFirst && purpose != null) {
            parts.part("purpose", purpose);
        }
        return http.post().uri("/v1/files").body(BodyInserters.fromMultipartData(parts.build())).exchange();
    }

    private JsonNode body(WebTestClient.ResponseSpec response, int status) {
        byte[] bytes = response.expectStatus().isEqualTo(status).expectBody().returnResult().getResponseBody();
        return json.readTree(bytes);
    }

    private JsonNode uploaded() {
        return body(upload(JSONL, "batch", true), 200);
    }

    @Test
    void uploadedFileIsAnOpenAiFileObjectAndCanBeReadListedAndDeleted() {
        int chunksBefore = store.chunks.get();
        JsonNode file = uploaded();

        assertThat(file.get("id").stringValue()).startsWith("file-");
        assertThat(file.get("object").stringValue()).isEqualTo("file");
        assertThat(file.get("bytes").longValue()).isEqualTo(JSONL.getBytes(StandardCharsets.UTF_8).length);
        assertThat(file.get("filename").stringValue()).isEqualTo("requests.jsonl");
        assertThat(file.get("purpose").stringValue()).isEqualTo("batch");
        assertThat(file.get("created_at").longValue()).isPositive();
        assertThat(store.chunks.get()).isGreaterThan(chunksBefore);
        String id = file.get("id").stringValue();
        assertThat(store.files.get(id).getOwner()).as("the key's name owns the file").isEqualTo("dev");

        assertThat(body(http.get().uri("/v1/files/" + id).exchange(), 200).get("id").stringValue()).isEqualTo(id);
        JsonNode list = body(http.get().uri("/v1/files").exchange(), 200);
        assertThat(list.get("object").stringValue()).isEqualTo("list");
        assertThat(list.get("data").valueStream().map(f -> f.get("id").stringValue())).contains(id);

        byte[] content = http.get().uri("/v1/files/" + id + "/content").exchange().expectStatus().isOk()
                .expectBody().returnResult().getResponseBody();
        assertThat(new String(content, StandardCharsets.UTF_8)).isEqualTo(JSONL);

        JsonNode deleted = body(http.delete().uri("/v1/files/" + id).exchange(), 200);
        assertThat(deleted.get("deleted").booleanValue()).isTrue();
        assertThat(deleted.get("object").stringValue()).isEqualTo("file");
        JsonNode gone = body(http.get().uri("/v1/files/" + id).exchange(), 404);
        assertThat(gone.get("error").get("type").stringValue()).isEqualTo("invalid_request_error");
        assertThat(gone.get("error").get("message").stringValue()).contains(id);
        body(http.get().uri("/v1/files/" + id + "/content").exchange(), 404);
    }

    @Test
    void purposeMayFollowTheFileAndAWrongOrMissingPurposeIsRefused() {
        assertThat(body(upload(JSONL, "batch", false), 200).get("purpose").stringValue()).isEqualTo("batch");

        int stored = store.files.size();
        JsonNode wrong = body(upload(JSONL, "fine-tune", false), 400);
        assertThat(wrong.get("error").get("param").stringValue()).isEqualTo("purpose");
        JsonNode missing = body(upload(JSONL, null, false), 400);
        assertThat(missing.get("error").get("message").stringValue()).contains("purpose");
        assertThat(store.files).hasSize(stored);

        JsonNode notMultipart = body(http.post().uri("/v1/files").contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange(), 400);
        assertThat(notMultipart.get("error").get("message").stringValue()).contains("multipart/form-data");
    }

    @Test
    void batchIsCreatedReadListedAndCancelledInOpenAisShape() {
        String input = uploaded().get("id").stringValue();
        JsonNode batch = body(http.post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON).bodyValue("""
                {"input_file_id": "%s", "endpoint": "/v1/chat/completions", "completion_window": "24h",
                 "metadata": {"job": "nightly"}}""".formatted(input)).exchange(), 200);

        assertThat(batch.get("id").stringValue()).startsWith("batch_");
        assertThat(batch.get("object").stringValue()).isEqualTo("batch");
        assertThat(batch.get("endpoint").stringValue()).isEqualTo("/v1/chat/completions");
        assertThat(batch.get("input_file_id").stringValue()).isEqualTo(input);
        assertThat(batch.get("completion_window").stringValue()).isEqualTo("24h");
        assertThat(batch.get("status").stringValue()).isEqualTo("validating");
        assertThat(batch.get("request_counts").get("total").intValue()).isEqualTo(2);
        assertThat(batch.get("request_counts").get("completed").intValue()).isZero();
        assertThat(batch.get("metadata").get("job").stringValue()).isEqualTo("nightly");
        assertThat(batch.get("usage").get("input_tokens").longValue()).isEqualTo(12);
        assertThat(batch.get("usage").get("output_tokens").longValue()).isEqualTo(5);
        assertThat(batch.get("usage").get("total_tokens").longValue()).isEqualTo(17);
        assertThat(batch.get("metadata").get("energy_estimated_joules").stringValue()).as("energy, as metadata strings").isEqualTo("41.3");
        assertThat(batch.get("metadata").get("energy_measured_joules").stringValue()).isEqualTo("38.5");
        assertThat(batch.get("metadata").get("energy_tokens").stringValue()).isEqualTo("17");
        assertThat(batch.get("metadata").get("energy_plan").stringValue()).isEqualTo("energy-first: cpu-0 100%");
        for (String field : new String[]{"errors", "output_file_id", "error_file_id", "in_progress_at", "finalizing_at",
                "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at"}) {
            assertThat(batch.has(field)).as(field + " is present").isTrue();
            assertThat(batch.get(field).isNull()).as(field + " is null").isTrue();
        }
        assertThat(batch.get("expires_at").longValue()).isGreaterThan(batch.get("created_at").longValue());
        String id = batch.get("id").stringValue();

        assertThat(body(http.get().uri("/v1/batches/" + id).exchange(), 200).get("id").stringValue()).isEqualTo(id);
        String second = body(http.post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON).bodyValue("""
                {"input_file_id": "%s", "endpoint": "/v1/chat/completions", "completion_window": "24h"}""".formatted(input))
                .exchange(), 200).get("id").stringValue();
        JsonNode page = body(http.get().uri("/v1/batches?limit=1").exchange(), 200);
        assertThat(page.get("object").stringValue()).isEqualTo("list");
        assertThat(page.get("data").get(0).get("id").stringValue()).isEqualTo(second);
        assertThat(page.get("has_more").booleanValue()).isTrue();
        assertThat(page.get("last_id").stringValue()).isEqualTo(second);
        JsonNode next = body(http.get().uri("/v1/batches?limit=1&after=" + second).exchange(), 200);
        assertThat(next.get("data").get(0).get("id").stringValue()).isEqualTo(id);

        JsonNode cancelled = body(http.post().uri("/v1/batches/" + id + "/cancel").exchange(), 200);
        assertThat(cancelled.get("status").stringValue()).isEqualTo("cancelled");
        assertThat(cancelled.get("cancelled_at").longValue()).isPositive();
        assertThat(body(http.post().uri("/v1/batches/" + id + "/cancel").exchange(), 409).get("error").get("message").stringValue())
                .contains("already ended");
    }

    @Test
    void badBatchRequestsGetOpenAiErrors() {
        String input = uploaded().get("id").stringValue();
        JsonNode missing = body(http.post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"endpoint\": \"/v1/chat/completions\", \"completion_window\": \"24h\"}").exchange(), 400);
        assertThat(missing.get("error").get("param").stringValue()).isEqualTo("input_file_id");
        JsonNode window = body(http.post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON).bodyValue("""
                {"input_file_id": "%s", "endpoint": "/v1/chat/completions", "completion_window": "1y"}""".formatted(input))
                .exchange(), 400);
        assertThat(window.get("error").get("message").stringValue()).contains("completion_window");
        body(http.post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON).bodyValue("""
                {"input_file_id": "file-nope", "endpoint": "/v1/chat/completions", "completion_window": "24h"}""").exchange(), 404);
        body(http.get().uri("/v1/batches/batch_nope").exchange(), 404);
        body(http.get().uri("/v1/batches?limit=zero").exchange(), 400);
        http.put().uri("/v1/batches").exchange().expectStatus().isEqualTo(405);
        http.get().uri("/v1/batches").header(HttpHeaders.AUTHORIZATION, "Bearer wrong").exchange().expectStatus().isUnauthorized();
        // however the path is spelled, a caller without a valid key reaches neither files nor batches
        for (String path : java.util.List.of("/v1/files", "/v1/batches;x=y", "/v1//batches", "/V1/batches", "/v1/files/")) {
            http.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer wrong")
                    .exchange().expectStatus().value(status -> assertThat(status).as(path).isIn(400, 401, 404));
        }
        http.get().uri("/v1/files").header(HttpHeaders.AUTHORIZATION, "Bearer wrong").exchange().expectStatus().isUnauthorized();
    }

    @Test
    void keyWhoseBatchTokensOfTheLast24HoursReachedItsBudgetGets429ForANewBatch() {
        WebTestClient small = http.mutate().defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + SMALL_BATCHES_KEY).build();
        var parts = new MultipartBodyBuilder();
        parts.part("purpose", "batch");
        parts.part("file", new ByteArrayResource(JSONL.getBytes(StandardCharsets.UTF_8)) {
            @Override
            public String getFilename() {
                return "requests.jsonl";
            }
        }).contentType(MediaType.APPLICATION_OCTET_STREAM);
        String input = body(small.post().uri("/v1/files").body(BodyInserters.fromMultipartData(parts.build())).exchange(), 200)
                .get("id").stringValue();
        String create = """
                {"input_file_id": "%s", "endpoint": "/v1/chat/completions", "completion_window": "24h"}""".formatted(input);

        store.tokensLastDay.put("small-batches", 999L);
        JsonNode created = body(small.post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON).bodyValue(create).exchange(), 200);
        assertThat(store.batches.get(created.get("id").stringValue()).getTokenBudgetPerDay())
                .as("the budget goes with the batch, for the runner's enforcement").isEqualTo(1000);

        store.tokensLastDay.put("small-batches", 1000L);
        int batchesBefore = store.batches.size();
        JsonNode refused = body(small.post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON).bodyValue(create).exchange(), 429);
        assertThat(refused.get("error").get("type").stringValue()).isEqualTo("invalid_request_error");
        assertThat(refused.get("error").get("code").stringValue()).isEqualTo("batch_token_quota_exceeded");
        assertThat(refused.get("error").get("message").stringValue()).contains("1000 of 1000", "24 hours");
        assertThat(refused.get("error").has("param")).isTrue();
        assertThat(store.batches).as("nothing created").hasSize(batchesBefore);

        // only creating is refused: the key still reads and cancels its batches, and its interactive budget is apart
        body(small.get().uri("/v1/batches/" + created.get("id").stringValue()).exchange(), 200);
        body(small.post().uri("/v1/batches/" + created.get("id").stringValue() + "/cancel").exchange(), 200);

        // a key without a batch budget is not checked at all, whatever its batches used
        store.tokensLastDay.put("dev", Long.MAX_VALUE);
        int usageCalls = store.usageCalls.get();
        String mine = uploaded().get("id").stringValue();
        JsonNode unlimited = body(http.post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON).bodyValue("""
                {"input_file_id": "%s", "endpoint": "/v1/chat/completions", "completion_window": "24h"}""".formatted(mine))
                .exchange(), 200);
        assertThat(store.batches.get(unlimited.get("id").stringValue()).getTokenBudgetPerDay()).isZero();
        assertThat(store.usageCalls.get()).isEqualTo(usageCalls);
    }

    @Test
    void registryWithItsDatabaseAwayIsA503WithRetryAfterNotA500() {
        var trailers = new io.grpc.Metadata();
        trailers.put(dev.llmplatform.commons.grpc.GrpcStatuses.RETRY_AFTER_SECONDS, "1");
        store.getBatchFailure = io.grpc.Status.UNAVAILABLE.withDescription("The registry's database is unavailable; retry shortly.")
                .asRuntimeException(trailers);
        try {
            var response = http.get().uri("/v1/batches/batch_any").exchange();
            response.expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "1");
            assertThat(body(response, 503).get("error").get("type").stringValue()).isEqualTo("server_error");
        } finally {
            store.getBatchFailure = null;
        }
    }
}
