package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

/**
 * Served-path embedding throughput: the same short sentences through gateway → scheduler → CPU worker, as HTTP
 * requests of 1 and of 32 inputs, one request at a time. Not a test (its name keeps it out of the default run):
 * {@code ./mvnw -B -q -pl platform-tests -am verify -Dtest=EmbeddingsThroughputBench -Dsurefire.failIfNoSpecifiedTests=false};
 * the figures are printed and written to platform-tests/target/embedding-throughput.txt.
 */
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
class EmbeddingsThroughputBench {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int SENTENCES = 256;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void embeddingsPerSecondForRequestsOf1And32Inputs() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < SENTENCES; i++) {
            texts.add("Sentence number " + i + " talks about " + List.of("cats", "rates", "boats", "gardens").get(i % 4) + ".");
        }
        try (var platform = new LocalPlatform("sk-bench-" + System.nanoTime()).start()) {
            awaitEmbeddings(platform);
            var report = new StringBuilder("served path, " + SENTENCES + " sentences, one request at a time, best of 3\n");
            double reference = 0;
            for (int size : new int[] {1, 32}) {
                run(platform, texts.subList(0, 32), size); // warm-up
                double best = 0;
                for (int repeat = 0; repeat < 3; repeat++) {
                    best = Math.max(best, run(platform, texts, size));
                }
                reference = reference == 0 ? best : reference;
                report.append("requests of %2d inputs: %7.1f embeddings/s (%.2f)%n".formatted(size, best, best / reference));
            }
            System.out.print(report);
            Files.writeString(Path.of("target/embedding-throughput.txt"), report);
        }
    }

    private double run(LocalPlatform platform, List<String> texts, int size) throws Exception {
        long started = System.nanoTime();
        for (int from = 0; from < texts.size(); from += size) {
            var response = post(platform, texts.subList(from, Math.min(texts.size(), from + size)));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
        return texts.size() / ((System.nanoTime() - started) / 1e9);
    }

    private HttpResponse<String> post(LocalPlatform platform, List<String> inputs) throws Exception {
        String body = JSON.writeValueAsString(java.util.Map.of("model", "all-minilm-l6-v2", "input", inputs));
        return http.send(HttpRequest.newBuilder(platform.gateway("/v1/embeddings")).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + platform.apiKey()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void awaitEmbeddings(LocalPlatform platform) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (post(platform, List.of("ready?")).statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the embedding model was not served within 2 minutes");
            }
            Thread.sleep(500);
        }
    }
}
