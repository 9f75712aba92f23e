package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponse;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import dev.llmplatform.launcher.LocalPlatform;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import tools.jackson.databind.json.JsonMapper;

/**
 * A batch of many short chat requests (custom_id r0, r1, …), submitted through the official Java SDK, for the
 * survival tests: watch it progress, wait for its end, and check that every line has exactly one result. Polls that
 * the gateway refuses (while a service or the database is away) are counted by HTTP status, not thrown.
 */
final class LargeBatch {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> ENDED = Set.of("completed", "failed", "expired", "cancelled");

    private final OpenAIClient client;
    private final int lines;
    private final String id;
    private final Map<Integer, Integer> refusedPolls = new TreeMap<>();

    private LargeBatch(OpenAIClient client, int lines, String id) {
        this.client = client;
        this.lines = lines;
        this.id = id;
    }

    /** A client of the platform's gateway that does not retry by itself: the tests see every refusal. */
    static OpenAIClient client(LocalPlatform platform) {
        return OpenAIOkHttpClient.builder().apiKey(platform.apiKey()).baseUrl(platform.gateway("/v1").toString())
                .maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    /** Uploads a file of {@code lines} chat requests of two tokens each and creates its batch. */
    static LargeBatch submit(OpenAIClient client, int lines) throws IOException {
        Path input = Files.createTempFile("large-batch", ".jsonl");
        FileObject file;
        try {
            Files.writeString(input, IntStream.range(0, lines).mapToObj(i -> """
                    {"custom_id": "r%d", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "%s", \
                    "messages": [{"role": "user", "content": "Verse %d"}], "max_tokens": 2, "temperature": 0}}"""
                    .formatted(i, LocalPlatform.MODEL, i)).collect(Collectors.joining("\n", "", "\n")));
            file = client.files().create(FileCreateParams.builder().file(input).purpose(FilePurpose.BATCH).build());
        } finally {
            Files.deleteIfExists(input);
        }
        Batch batch = client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
        return new LargeBatch(client, lines, batch.id());
    }

    String id() {
        return id;
    }

    /** The batch now, or empty when the gateway refused to say (counted in {@link #refusedPolls()}). */
    Optional<Batch> poll() {
        try {
            return Optional.of(client.batches().retrieve(id));
        } catch (OpenAIServiceException refused) {
            synchronized (refusedPolls) {
                refusedPolls.merge(refused.statusCode(), 1, Integer::sum);
            }
            return Optional.empty();
        }
    }

    /** Polls until at least {@code atLeast} lines have a result. @return how many had one at the last poll */
    long awaitDone(long atLeast, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long done = 0;
        while (done < atLeast && System.nanoTime() < deadline) {
            Thread.sleep(200);
            done = poll().flatMap(Batch::requestCounts).map(c -> c.completed() + c.failed()).orElse(done);
        }
        return done;
    }

    /** Polls until the batch has ended. @return the batch at the last poll that answered */
    Batch awaitEnd(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Batch last = null;
        while ((last == null || !ENDED.contains(last.status().asString())) && System.nanoTime() < deadline) {
            last = poll().orElse(last);
            Thread.sleep(500);
        }
        assertThat(last).as("batch %s answered at all", id).isNotNull();
        return last;
    }

    /** Refused polls so far, by HTTP status. */
    Map<Integer, Integer> refusedPolls() {
        synchronized (refusedPolls) {
            return Map.copyOf(refusedPolls);
        }
    }

    /**
     * Checks that the batch completed with a result for every line, and that its output and error files hold exactly
     * one line for each custom_id: none missing, none twice. @return the output file's lines
     */
    List<String> assertEveryLineOnce(Batch ended) {
        assertThat(ended.status().asString()).as("status of %s", id).isEqualTo("completed");
        var counts = ended.requestCounts().orElseThrow();
        assertThat(counts.total()).isEqualTo(lines);
        assertThat(counts.completed() + counts.failed()).as("completed + failed").isEqualTo(lines);
        List<String> output = content(ended.outputFileId());
        List<String> errors = content(ended.errorFileId());
        assertThat(output).as("output file lines").hasSize((int) counts.completed());
        assertThat(errors).as("error file lines").hasSize((int) counts.failed());
        List<String> customIds = new ArrayList<>();
        for (String line : output) {
            customIds.add(JSON.readTree(line).get("custom_id").stringValue());
            assertThat(JSON.readTree(line).get("response").get("status_code").intValue()).as(line).isEqualTo(200);
        }
        errors.forEach(line -> customIds.add(JSON.readTree(line).get("custom_id").stringValue()));
        assertThat(customIds).hasSize(lines).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, lines).mapToObj(i -> "r" + i).toList());
        return output;
    }

    private List<String> content(Optional<String> fileId) {
        if (fileId.isEmpty()) {
            return List.of();
        }
        try (HttpResponse response = client.files().content(fileId.get())) {
            return new String(response.body().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
