package dev.llmplatform.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.gateway.domain.ApiKeyRing;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two gateway replicas (two application contexts, two ports) on one Redis spend one budget per key: what
 * one replica admitted, the other cannot admit again. Subclasses say which Redis.
 */
abstract class SharedBudgetAcrossReplicasSpec {

    static final String KEY = "sk-shared-budget";

    abstract String redisHost();

    abstract int redisPort();

    final FakeScheduler scheduler = FakeScheduler.start();
    final String prefix = "test:gateway:replicas:" + System.nanoTime() + ":";
    final List<ConfigurableApplicationContext> replicas = new ArrayList<>();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        http.shutdownNow();
        replicas.forEach(ConfigurableApplicationContext::close);
        scheduler.stop();
    }

    @Test
    void theRequestBudgetIsSpentAcrossBothReplicas() throws Exception {
        var a = start(6, 1_000_000);
        var b = start(6, 1_000_000);

        // six requests, alternating between the replicas, use up a budget of six a minute
        for (int i = 0; i < 6; i++) {
            var response = get(i % 2 == 0 ? a : b, "/v1/models");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-ratelimit-remaining-requests")).hasValue(Integer.toString(5 - i));
        }

        for (int port : List.of(a, b)) {
            var refused = get(port, "/v1/models");
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("retry-after")).isPresent();
            assertThat(refused.headers().firstValue("x-ratelimit-limit-requests")).hasValue("6");
            assertThat(refused.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
            assertThat(refused.body()).contains("\"type\":\"requests\"").contains("rate_limit_exceeded");
        }
    }

    @Test
    void tokensHeldByAGenerationOnOneReplicaAreNotThereForTheOther() throws Exception {
        var a = start(1000, 100);
        var b = start(1000, 100);

        // a never-ending stream on replica a holds its estimate (60 max_tokens + prompt) while it runs
        var streaming = http.sendAsync(post(a, "endless", 60, true), HttpResponse.BodyHandlers.ofLines());
        HttpResponse<Stream<String>> held = streaming.get(10, TimeUnit.SECONDS);
        assertThat(held.statusCode()).isEqualTo(200);
        assertThat(held.body().filter(line -> line.startsWith("data: ")).findFirst()).isPresent();

        var refused = http.send(post(b, "tiny", 60, false), HttpResponse.BodyHandlers.ofString());

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.body()).contains("\"type\":\"tokens\"");
        assertThat(Long.parseLong(refused.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow())).isLessThan(60);
        // a smaller request still fits in what is left
        var small = http.send(post(b, "tiny", 5, false), HttpResponse.BodyHandlers.ofString());
        assertThat(small.statusCode()).isEqualTo(200);
    }

    private int start(long requestsPerMinute, long tokensPerMinute) {
        // command-line arguments, so that they win over application.yml as a deployment's settings would
        var context = new SpringApplicationBuilder(GatewayApplication.class).run(
                "--server.port=0",
                "--management.server.port=0",
                "--server.address=127.0.0.1",
                "--server.shutdown=immediate", // the held stream must not delay closing
                "--gateway.scheduler-target=" + scheduler.target(),
                "--gateway.rate-limit.store=redis",
                "--gateway.rate-limit.redis-key-prefix=" + prefix,
                "--spring.data.redis.host=" + redisHost(),
                "--spring.data.redis.port=" + redisPort(),
                "--gateway.keys[0].name=shared",
                "--gateway.keys[0].sha256=" + ApiKeyRing.sha256Hex(KEY),
                "--gateway.keys[0].requests-per-minute=" + requestsPerMinute,
                "--gateway.keys[0].tokens-per-minute=" + tokensPerMinute);
        replicas.add(context);
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + KEY).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest post(int port, String model, int maxTokens, boolean stream) {
        String body = "{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": "
                + maxTokens + ", \"stream\": " + stream + "}";
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
