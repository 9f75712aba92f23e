package dev.llmplatform.bench;

import dev.llmplatform.launcher.Layout;
import dev.llmplatform.launcher.LocalPlatform;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Served-path embedding throughput: the same short sentences through gateway → scheduler → CPU worker (the platform
 * started by the launcher on free ports), as HTTP requests of 1 and of 32 inputs, one request at a time; each figure
 * the best of 3 after a warm-up, and a ratio to requests of 1 input in the same run. Run with
 * tools/bench/served-embeddings.sh; the figures are printed and written to {@code <out>/embedding-throughput.txt}.
 *
 * <p>Arguments: {@code REPOSITORY OUT-DIR}.
 */
public final class ServedEmbeddingsBench {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int SENTENCES = 256;

    private final HttpClient http = HttpClient.newHttpClient();
    private final LocalPlatform platform;

    private ServedEmbeddingsBench(LocalPlatform platform) {
        this.platform = platform;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]).toAbsolutePath().normalize();
        Path out = Files.createDirectories(Path.of(args[1]).toAbsolutePath());
        try (var platform = new LocalPlatform("sk-bench-" + System.nanoTime(), Layout.workDir(root, Layout.VERSION, out)).start()) {
            String report = new ServedEmbeddingsBench(platform).measure();
            System.out.print(report);
            Files.writeString(out.resolve("embedding-throughput.txt"), report);
        }
    }

    private String measure() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < SENTENCES; i++) {
            texts.add("Sentence number " + i + " talks about " + List.of("cats", "rates", "boats", "gardens").get(i % 4) + ".");
        }
        awaitEmbeddings();
        var report = new StringBuilder("served path, " + SENTENCES + " sentences, one request at a time, best of 3\n");
        double reference = 0;
        for (int size : new int[] {1, 32}) {
            run(texts.subList(0, 32), size); // warm-up
            double best = 0;
            for (int repeat = 0; repeat < 3; repeat++) {
                best = Math.max(best, run(texts, size));
            }
            reference = reference == 0 ? best : reference;
            report.append("requests of %2d inputs: %7.1f embeddings/s (%.2f)%n".formatted(size, best, best / reference));
        }
        return report.toString();
    }

    /** Embeddings per second over all texts sent in requests of {@code size} inputs. */
    private double run(List<String> texts, int size) throws Exception {
        long started = System.nanoTime();
        for (int from = 0; from < texts.size(); from += size) {
            var response = post(texts.subList(from, Math.min(texts.size(), from + size)));
            if (response.statusCode() != 200) {
                throw new IllegalStateException("embeddings request failed: " + response.statusCode() + " " + response.body());
            }
        }
        return texts.size() / ((System.nanoTime() - started) / 1e9);
    }

    private HttpResponse<String> post(List<String> inputs) throws Exception {
        String body = JSON.writeValueAsString(Map.of("model", "all-minilm-l6-v2", "input", inputs));
        return http.send(HttpRequest.newBuilder(platform.gateway("/v1/embeddings")).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + platform.apiKey()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The worker loads the embedding model after it is ready for chat. */
    private void awaitEmbeddings() throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (post(List.of("ready?")).statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the embedding model was not served within 2 minutes");
            }
            Thread.sleep(500);
        }
    }
}
