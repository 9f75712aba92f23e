package dev.llmplatform.e2e;

import dev.llmplatform.launcher.LocalPlatform;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A few clients sending streamed chat completions through the gateway back to back, each outcome recorded with its
 * start and end, so that a fault test can ask what happened to the requests made while a service was away. Bounded:
 * it stops at {@code maxRequests} or {@code maxDuration}, whichever comes first, or when stopped.
 */
final class SteadyLoad implements AutoCloseable {

    /** One request: times are System.nanoTime(); error is null when the stream ended with [DONE]. */
    record Outcome(long startNanos, long endNanos, String error) {

        boolean ok() {
            return error == null;
        }

        boolean within(long fromNanos, long toNanos) {
            return startNanos >= fromNanos && endNanos <= toNanos;
        }

        boolean overlaps(long fromNanos, long toNanos) {
            return startNanos < toNanos && endNanos > fromNanos;
        }
    }

    private final LocalPlatform platform;
    private final int clients;
    private final int maxTokens;
    private final int maxRequests;
    private final long deadline;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger sent = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();

    SteadyLoad(LocalPlatform platform, int clients, int maxTokens, int maxRequests, Duration maxDuration) {
        this.platform = platform;
        this.clients = clients;
        this.maxTokens = maxTokens;
        this.maxRequests = maxRequests;
        this.deadline = System.nanoTime() + maxDuration.toNanos();
    }

    SteadyLoad start() {
        for (int i = 0; i < clients; i++) {
            int client = i;
            threads.add(Thread.ofPlatform().daemon().name("steady-load-" + i).start(() -> loop(client)));
        }
        return this;
    }

    private void loop(int client) {
        int n = 0;
        while (running.get() && System.nanoTime() < deadline && sent.incrementAndGet() <= maxRequests) {
            long start = System.nanoTime();
            String error = send("Recite the words of verse " + (client * 1000 + n++));
            outcomes.add(new Outcome(start, System.nanoTime(), error));
        }
    }

    private String send(String question) {
        String body = """
                {"model": "%s", "max_tokens": %d, "temperature": 0, "stream": true,
                 "messages": [{"role": "user", "content": "%s"}]}""".formatted(LocalPlatform.MODEL, maxTokens, question);
        var request = HttpRequest.newBuilder(platform.gateway("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + platform.apiKey())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                if (response.statusCode() != 200) {
                    return "HTTP " + response.statusCode() + ": " + String.join("\n", reader.lines().toList());
                }
                String line;
                String last = null;
                while ((line = reader.readLine()) != null) {
                    if (line.startsWith("data: ")) {
                        last = line.substring(6);
                        if (last.startsWith("{\"error\"")) {
                            return "stream error: " + last;
                        }
                    }
                }
                return "[DONE]".equals(last) ? null : "the stream ended without [DONE]";
            }
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * The requests around a fault window [from, to): served before it, served start to end inside it, served across
     * its edges, served after it, and failed (at any time).
     */
    record Counts(long total, long failed, long before, long inside, long across, long after, List<String> errors) {
    }

    Counts counts(long fromNanos, long toNanos) {
        List<Outcome> all = outcomes();
        List<Outcome> ok = all.stream().filter(Outcome::ok).toList();
        return new Counts(all.size(), all.size() - ok.size(),
                ok.stream().filter(o -> o.endNanos() <= fromNanos).count(),
                ok.stream().filter(o -> o.within(fromNanos, toNanos)).count(),
                ok.stream().filter(o -> o.overlaps(fromNanos, toNanos) && !o.within(fromNanos, toNanos)).count(),
                ok.stream().filter(o -> o.startNanos() >= toNanos).count(),
                all.stream().filter(o -> !o.ok()).map(Outcome::error).distinct().limit(5).toList());
    }

    List<Outcome> outcomes() {
        return List.copyOf(outcomes);
    }

    long succeeded() {
        return outcomes.stream().filter(Outcome::ok).count();
    }

    /** Waits until at least {@code count} requests have succeeded in all, or the time is up. */
    boolean awaitSucceeded(long count, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (succeeded() < count && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        return succeeded() >= count;
    }

    /** Stops sending and waits for the requests in flight (each bounded by its own 60 s time-out). */
    @Override
    public void close() {
        running.set(false);
        for (Thread thread : threads) {
            try {
                thread.join(Duration.ofSeconds(70));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
