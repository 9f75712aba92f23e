package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponse;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import dev.llmplatform.launcher.LocalPlatform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * OpenAI's Batch API through the whole platform with the official Java SDK: a JSONL file uploaded through the
 * gateway (stored by the registry), a batch created on it, run by the scheduler's batch runner on the real model,
 * polled until completed, its output and error files read back; and a second batch cancelled.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class BatchEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private LocalPlatform platform;
    private OpenAIClient client;

    @BeforeAll
    void startPlatform() throws Exception {
        platform = batchPlatform();
        client = OpenAIOkHttpClient.builder().apiKey(platform.apiKey()).baseUrl(platform.gateway("/v1").toString())
                .maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    /** The whole platform on free ports with the real model, under a fresh API key (the clients' tests use it too). */
    static LocalPlatform batchPlatform() throws IOException, InterruptedException {
        return new LocalPlatform("sk-batch-" + System.nanoTime()).start();
    }

    @AfterAll
    void stopPlatform() {
        if (client != null) {
            client.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    private FileObject upload(List<String> lines) throws IOException {
        Path file = Files.createTempFile("batch-input", ".jsonl");
        try {
            Files.writeString(file, String.join("\n", lines) + "\n");
            return client.files().create(FileCreateParams.builder().file(file).purpose(FilePurpose.BATCH).build());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** A batch line asking the default model for a short greedy chat answer (the other batch tests use it too). */
    static String chatLine(String customId, String prompt) {
        return """
                {"custom_id": "%s", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "%s", \
                "messages": [{"role": "user", "content": "%s"}], "max_tokens": 6, "temperature": 0}}"""
                .formatted(customId, LocalPlatform.MODEL, prompt);
    }

    private Batch create(String fileId) {
        return client.batches().create(BatchCreateParams.builder().inputFileId(fileId)
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
    }

    private Batch pollUntil(String batchId, Set<String> statuses, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        Batch batch = client.batches().retrieve(batchId);
        while (!statuses.contains(batch.status().asString()) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            batch = client.batches().retrieve(batchId);
        }
        return batch;
    }

    private String content(String fileId) throws IOException {
        try (HttpResponse response = client.files().content(fileId)) {
            return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void batchRunsToCompletionWithItsOutputAndErrorFiles() throws Exception {
        List<String> lines = List.of(chatLine("genesis", "In the beginning"), chatLine("exodus", "Now these are the names"),
                chatLine("psalm", "The LORD is my shepherd"), "{\"custom_id\": \"broken\", \"method\": \"POST\", \"url\": ",
                chatLine("john", "In the beginning was the Word"), chatLine("ruth", "Now it came to pass"),
                chatLine("mark", "The beginning of the gospel"));
        FileObject input = upload(lines);
        assertThat(input.id()).startsWith("file-");
        assertThat(input.bytes()).isPositive();
        assertThat(client.files().retrieve(input.id()).filename()).isEqualTo(input.filename());

        Batch created = create(input.id());
        assertThat(created.id()).startsWith("batch_");
        assertThat(created.status().asString()).isIn("validating", "in_progress");

        Batch done = pollUntil(created.id(), Set.of("completed", "failed", "expired", "cancelled"), Duration.ofSeconds(90));
        assertThat(done.status().asString()).isEqualTo("completed");
        var counts = done.requestCounts().orElseThrow();
        assertThat(counts.total()).isEqualTo(7);
        assertThat(counts.completed()).isEqualTo(6);
        assertThat(counts.failed()).isEqualTo(1);
        assertThat(done.completedAt()).isPresent();
        var usage = done.usage().orElseThrow();
        assertThat(usage.inputTokens()).isPositive();
        assertThat(usage.outputTokens()).isBetween(6L, 36L);
        assertThat(usage.totalTokens()).isEqualTo(usage.inputTokens() + usage.outputTokens());
        Map<String, String> metadata = done.metadata().orElseThrow()._additionalProperties().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().asStringOrThrow()));
        assertThat(Double.parseDouble(metadata.get("energy_estimated_joules"))).as("energy in the metadata: " + metadata).isPositive();
        assertThat(Double.parseDouble(metadata.get("energy_measured_joules"))).isPositive();
        assertThat(metadata.get("energy_tokens")).isEqualTo(Long.toString(usage.totalTokens()));
        assertThat(metadata.get("energy_plan")).startsWith("energy-first: ").contains(" 100%; 7 lines of " + LocalPlatform.MODEL);

        List<JsonNode> output = content(done.outputFileId().orElseThrow()).lines().map(JSON::readTree).toList();
        assertThat(output).hasSize(6);
        assertThat(output.stream().map(l -> l.get("custom_id").stringValue()).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("genesis", "exodus", "psalm", "john", "ruth", "mark");
        for (JsonNode line : output) {
            assertThat(line.get("id").stringValue()).startsWith("batch_req_");
            assertThat(line.get("error").isNull()).isTrue();
            assertThat(line.get("response").get("status_code").intValue()).isEqualTo(200);
            JsonNode body = line.get("response").get("body");
            assertThat(body.get("object").stringValue()).isEqualTo("chat.completion");
            assertThat(body.get("model").stringValue()).isEqualTo(LocalPlatform.MODEL);
            assertThat(body.get("usage").get("completion_tokens").intValue()).isBetween(1, 6);
            assertThat(body.get("choices").get(0).get("finish_reason").stringValue()).isIn("stop", "length");
        }

        List<JsonNode> errors = content(done.errorFileId().orElseThrow()).lines().map(JSON::readTree).toList();
        assertThat(errors).hasSize(1);
        assertThat(errors.getFirst().get("response").isNull()).isTrue();
        assertThat(errors.getFirst().get("error").get("code").stringValue()).isEqualTo("invalid_json");
    }

    @Test
    void aBatchThatCannotFinishWithinItsWindowFailsWithTheReasonBeforeItRuns() throws Exception {
        List<String> lines = new java.util.ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            lines.add(chatLine("line-" + i, "Verse " + i));
        }
        Batch created = client.batches().create(BatchCreateParams.builder().inputFileId(upload(lines).id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow.of("20s")).build());

        Batch failed = pollUntil(created.id(), Set.of("failed", "completed", "expired", "cancelled"), Duration.ofSeconds(60));

        assertThat(failed.status().asString()).isEqualTo("failed");
        var error = failed.errors().orElseThrow().data().orElseThrow().getFirst();
        assertThat(error.code()).contains("completion_window_too_short");
        assertThat(error.message().orElseThrow()).contains("5000 requests", "completion window leaves");
        assertThat(failed.requestCounts().orElseThrow().completed()).as("not a line ran").isZero();
    }

    @Test
    void aBatchIsCancelled() throws Exception {
        FileObject input = upload(List.of(chatLine("a", "In the beginning"), chatLine("b", "And God said")));
        Batch created = create(input.id());

        Batch cancelling = client.batches().cancel(created.id());
        assertThat(cancelling.status().asString()).isIn("cancelling", "cancelled");
        Batch cancelled = pollUntil(created.id(), Set.of("cancelled", "completed", "failed"), Duration.ofSeconds(60));
        assertThat(cancelled.status().asString()).isEqualTo("cancelled");
        assertThat(cancelled.cancelledAt()).isPresent();
    }
}
