package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import dev.llmplatform.launcher.LocalPlatform;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Per-key batch token quotas through the whole platform (docs/batch.md, "Quotas"): a key with a tiny batch budget
 * runs its first batch to completion (the last line takes it over the budget, the batch is still finalized), and its
 * next batch is refused with a 429 at creation; its interactive budget is untouched.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class BatchQuotaEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long BUDGET = 20;

    private LocalPlatform platform;
    private OpenAIClient client;

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-batch-quota-" + System.nanoTime())
                .withServiceArgs(List.of("--gateway.keys[0].batch-tokens-per-day=" + BUDGET)).start();
        client = OpenAIOkHttpClient.builder().apiKey(platform.apiKey()).baseUrl(platform.gateway("/v1").toString())
                .maxRetries(0).timeout(Duration.ofSeconds(60)).build();
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

    @Test
    void firstBatchRunsAndTheNextCreateIsRefusedOnceTheBudgetIsUsed() throws Exception {
        Path file = Files.createTempFile("batch-input", ".jsonl");
        FileObject input;
        try {
            Files.writeString(file, BatchEndToEndTest.chatLine("genesis", "In the beginning") + "\n"
                    + BatchEndToEndTest.chatLine("john", "In the beginning was the Word") + "\n");
            input = client.files().create(FileCreateParams.builder().file(file).purpose(FilePurpose.BATCH).build());
        } finally {
            Files.deleteIfExists(file);
        }
        Batch created = client.batches().create(BatchCreateParams.builder().inputFileId(input.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());

        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        Batch batch = client.batches().retrieve(created.id());
        while (!Set.of("completed", "failed", "expired", "cancelled").contains(batch.status().asString()) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            batch = client.batches().retrieve(created.id());
        }
        assertThat(batch.status().asString()).isEqualTo("completed");
        assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(2);
        long used = batch.usage().orElseThrow().totalTokens();
        assertThat(used).as("two lines' prompts and answers are over the budget of " + BUDGET).isGreaterThanOrEqualTo(BUDGET);

        HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(platform.gateway("/v1/batches"))
                .header("Authorization", "Bearer " + platform.apiKey()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"input_file_id": "%s", "endpoint": "/v1/chat/completions", "completion_window": "24h"}""".formatted(input.id())))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(429);
        JsonNode error = JSON.readTree(refused.body()).get("error");
        assertThat(error.get("code").stringValue()).isEqualTo("batch_token_quota_exceeded");
        assertThat(error.get("message").stringValue()).contains(used + " of " + BUDGET);

        // the interactive budget is apart: the key still chats
        HttpResponse<String> chat = HttpClient.newHttpClient().send(HttpRequest.newBuilder(platform.gateway("/v1/chat/completions"))
                .header("Authorization", "Bearer " + platform.apiKey()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model": "%s", "max_tokens": 4, "messages": [{"role": "user", "content": "In the beginning"}]}"""
                        .formatted(LocalPlatform.MODEL)))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chat.statusCode()).isEqualTo(200);
    }
}
