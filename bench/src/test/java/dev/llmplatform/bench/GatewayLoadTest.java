package dev.llmplatform.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway target and the load generator against a loopback HTTP server that streams OpenAI chunks the way the
 * gateway does (role, one content chunk per token, finish, usage, [DONE]), counting how many requests overlap.
 */
class GatewayLoadTest {

    private static final int TOKENS = 5;

    private HttpServer server;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile String lastBody;
    private volatile boolean failWith503;
    private volatile long tokenDelayMillis = 5;

    @BeforeEach
    void startServer() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/chat/completions", exchange -> {
            requests.incrementAndGet();
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try (exchange) {
                lastBody = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (failWith503) {
                    byte[] error = "{\"error\":{\"message\":\"busy\",\"type\":\"server_error\"}}".getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(503, error.length);
                    exchange.getResponseBody().write(error);
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
                exchange.sendResponseHeaders(200, 0);
                OutputStream out = exchange.getResponseBody();
                send(out, "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}");
                for (int i = 0; i < TOKENS; i++) {
                    Thread.sleep(tokenDelayMillis);
                    send(out, "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" w" + i + "\"}}]}");
                }
                send(out, "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}");
                send(out, "{\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":"
                        + TOKENS + ",\"total_tokens\":" + (9 + TOKENS) + "}}");
                send(out, "[DONE]");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        });
        server.start();
    }

    private static void send(OutputStream out, String data) throws java.io.IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private GatewayTarget target() {
        return new GatewayTarget(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "sk-test", "tiny-kjv-chat",
                Duration.ofSeconds(10));
    }

    private static List<BenchPrompt> prompts(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> new BenchPrompt(i, "Continue: " + i, new int[] {1, 2, 3})).toList();
    }

    private static final Sampling GREEDY = new Sampling(0, 16, OptionalLong.empty());

    @Test
    void aStreamedResponseGivesTtftTokensAndGaps() {
        try (var target = target()) {
            RequestRecord record = target.generate(prompts(1).getFirst(), GREEDY);

            assertThat(record.error()).isNull();
            assertThat(record.outputTokens()).isEqualTo(TOKENS);
            assertThat(record.ttftNanos()).isPositive().isLessThan(record.latencyNanos());
            assertThat(record.interTokenNanos()).hasSize(TOKENS - 1);
            assertThat(lastBody).contains("\"stream\":true", "\"include_usage\":true", "\"max_tokens\":16", "\"role\":\"user\"");
        }
    }

    @Test
    void aRefusedRequestIsRecordedAsFailedWithItsStatus() {
        failWith503 = true;
        try (var target = target()) {
            RequestRecord record = target.generate(prompts(1).getFirst(), GREEDY);

            assertThat(record.succeeded()).isFalse();
            assertThat(record.error()).startsWith("HTTP 503").contains("busy");
        }
    }

    @Test
    void noMoreRequestsOverlapThanTheConcurrencyAllows() throws Exception {
        try (var target = target()) {
            var run = new LoadGenerator(new java.io.PrintStream(new ByteArrayOutputStream()))
                    .run(target, prompts(12), GREEDY, new LoadGenerator.Arrivals(3, Double.POSITIVE_INFINITY, 1), Duration.ofSeconds(30));

            assertThat(run.records()).hasSize(12).allMatch(RequestRecord::succeeded);
            assertThat(maxInFlight.get()).isBetween(2, 3); // overlapping, never beyond the limit
            assertThat(run.cutShort()).isFalse();
        }
    }

    @Test
    void theRunStopsStartingRequestsAtItsMaximumDuration() throws Exception {
        tokenDelayMillis = 100; // half a second per request, one at a time
        try (var target = target()) {
            var run = new LoadGenerator(new java.io.PrintStream(new ByteArrayOutputStream()))
                    .run(target, prompts(50), GREEDY, new LoadGenerator.Arrivals(1, Double.POSITIVE_INFINITY, 1), Duration.ofMillis(1200));

            assertThat(run.cutShort()).isTrue();
            assertThat(requests.get()).isBetween(1, 4);
            assertThat(run.durationNanos()).isLessThan(Duration.ofSeconds(5).toNanos());
        }
    }

    @Test
    void poissonArrivalsAverageTheRequestedRate() {
        var arrivals = new LoadGenerator.Arrivals(1, 20.0, 3);
        var random = new java.util.SplittableRandom(3);
        double meanGapSeconds = java.util.stream.IntStream.range(0, 20_000).mapToLong(i -> arrivals.nextGapNanos(random)).average()
                .orElseThrow() / 1e9;
        assertThat(meanGapSeconds).isBetween(0.045, 0.055);
    }
}
