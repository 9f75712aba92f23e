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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A 500-request batch survives kill -9 of the scheduler that runs it: a new scheduler process claims the batch once
 * the dead one's lease has run out, skips the lines already recorded, and the batch completes with every line's
 * result exactly once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 12, unit = java.util.concurrent.TimeUnit.MINUTES)
class BatchSurvivalTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int LINES = 500;

    private LocalPlatform platform;
    private OpenAIClient client;

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-batch-survival-" + System.nanoTime())
                .withWorkerCapacity(4, 2)
                // a short lease: the restarted scheduler (a new runner id) takes the batch over after at most 3 s
                .withServiceArgs(List.of("--scheduler.batch.lease=3s", "--scheduler.batch.concurrency=4",
                        "--scheduler.batch.poll-interval=500ms"))
                .start();
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
    void batchSurvivesKillOfTheSchedulerWithNoLineLostOrDuplicated() throws Exception {
        Path input = Files.createTempFile("batch-survival", ".jsonl");
        Files.writeString(input, IntStream.range(0, LINES).mapToObj(i -> """
                {"custom_id": "r%d", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "%s", \
                "messages": [{"role": "user", "content": "Verse %d"}], "max_tokens": 2, "temperature": 0}}"""
                .formatted(i, LocalPlatform.MODEL, i)).collect(Collectors.joining("\n", "", "\n")));
        FileObject file = client.files().create(FileCreateParams.builder().file(input).purpose(FilePurpose.BATCH).build());
        Files.deleteIfExists(input);
        Batch batch = client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());

        // kill it mid-batch: some lines recorded, most not
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        long done = 0;
        while (done < 40 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            done = client.batches().retrieve(batch.id()).requestCounts().map(c -> c.completed() + c.failed()).orElse(0L);
        }
        assertThat(done).as("lines done before the kill").isBetween(40L, (long) LINES - 1);
        platform.kill("scheduler-service");
        platform.restart("scheduler-service");
        platform.awaitReady("scheduler-service", Duration.ofMinutes(4));

        Set<String> ended = Set.of("completed", "failed", "expired", "cancelled");
        deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        Batch last = client.batches().retrieve(batch.id());
        while (!ended.contains(last.status().asString()) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            last = client.batches().retrieve(batch.id());
        }
        assertThat(last.status().asString()).isEqualTo("completed");
        var counts = last.requestCounts().orElseThrow();
        assertThat(counts.total()).isEqualTo(LINES);
        assertThat(counts.completed()).isEqualTo(LINES);
        assertThat(counts.failed()).isZero();

        String content;
        try (HttpResponse response = client.files().content(last.outputFileId().orElseThrow())) {
            content = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> customIds = content.lines().map(l -> JSON.readTree(l).get("custom_id").stringValue()).toList();
        assertThat(customIds).hasSize(LINES).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, LINES).mapToObj(i -> "r" + i).toList());
        JsonNode first = JSON.readTree(content.lines().findFirst().orElseThrow());
        assertThat(first.get("response").get("status_code").intValue()).isEqualTo(200);
    }
}
