package dev.llmplatform.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import dev.llmplatform.gateway.domain.ApiKeyRing;
import dev.llmplatform.gateway.resilience.SchedulerGuard;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The scheduler guard (retry, circuit breaker) and the gateway.* meters, seen from outside. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "gateway.resilience.sliding-window-size=4", "gateway.resilience.minimum-number-of-calls=4",
        "gateway.resilience.wait-in-open-state=30s", "gateway.resilience.retry-attempts=2", "gateway.resilience.retry-wait=10ms",
        "gateway.keys[0].name=dev", "gateway.keys[0].sha256=${dev.sha256}", "gateway.keys[0].scopes=inference,admin",
        "gateway.keys[1].name=tight", "gateway.keys[1].sha256=${tight.sha256}", "gateway.keys[1].requests-per-minute=1"})
@AutoConfigureWebTestClient
class ResilienceAndMetricsTest {

    static final FakeScheduler scheduler = FakeScheduler.start();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("gateway.scheduler-target", scheduler::target);
        registry.add("dev.sha256", () -> ApiKeyRing.sha256Hex("sk-dev"));
        registry.add("tight.sha256", () -> ApiKeyRing.sha256Hex("sk-tight"));
    }

    @AfterAll
    static void stopScheduler() {
        scheduler.stop();
    }

    @Autowired
    WebTestClient http;

    @Autowired
    SchedulerGuard guard;

    @BeforeEach
    void authenticateWithClosedBreakers() {
        // the Prometheus page with every histogram is larger than the client's default 256 KB buffer
        http = http.mutate().defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer sk-dev")
                .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(16 * 1024 * 1024)).build();
        for (String route : new String[] {"chat-completions", "completions", "models"}) {
            guard.breaker(route).reset(); // each test starts from a healthy history
        }
    }

    @Test
    void retriesAnUnavailableSchedulerOnceBeforeAnythingWasStreamed() {
        int before = scheduler.downCalls.get();

        post("/v1/chat/completions", """
                {"model": "down", "messages": [{"role": "user", "content": "Hi"}]}""")
                .expectStatus().isEqualTo(503)
                .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "1");

        assertThat(scheduler.downCalls.get() - before).isEqualTo(2);
    }

    @Test
    void neverRetriesAFailureAfterTheFirstChunk() {
        long before = scheduler.requests.stream().filter(r -> r.getModel().equals("flaky")).count();

        post("/v1/chat/completions", """
                {"model": "flaky", "messages": [{"role": "user", "content": "Hi"}], "stream": true}""")
                .expectStatus().isOk();

        assertThat(scheduler.requests.stream().filter(r -> r.getModel().equals("flaky")).count() - before).isEqualTo(1);
    }

    @Test
    void opensTheBreakerAfterRepeatedSchedulerFailuresAndSaysWhenToComeBack() {
        for (int i = 0; i < 2; i++) { // two requests, two attempts each: four failed calls
            post("/v1/completions", """
                    {"model": "down", "prompt": "Hi"}""").expectStatus().isEqualTo(503);
        }
        int before = scheduler.downCalls.get();

        // open: even a healthy model's call is refused at once, without reaching the scheduler
        post("/v1/completions", """
                {"model": "tiny", "prompt": "Hi"}""")
                .expectStatus().isEqualTo(503)
                .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "30")
                .expectBody().jsonPath("$.error.code").isEqualTo("service_unavailable");
        assertThat(scheduler.downCalls.get()).isEqualTo(before);
        // other routes have breakers of their own
        post("/v1/chat/completions", """
                {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}]}""").expectStatus().isOk();

        assertThat(scrape()).contains("resilience4j_circuitbreaker_state{application=\"gateway\",name=\"completions\",state=\"open\"} 1.0");
    }

    @Test
    void theSchedulersOwnNoWorkerReadyAnswerIsPassedOnWithItsHintAndNeitherRetriedNorCountedAgainstIt() {
        int before = scheduler.noWorkerCalls.get();

        for (int i = 0; i < 6; i++) {
            post("/v1/completions", """
                    {"model": "no-worker", "prompt": "Hi"}""")
                    .expectStatus().isEqualTo(503)
                    .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "3");
        }

        assertThat(scheduler.noWorkerCalls.get() - before).isEqualTo(6);
        assertThat(guard.breaker("completions").getState()).isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED);
    }

    @Test
    void anOpenBreakerClosesWithinAProbeIntervalOnceTheSchedulersHealthSaysServing() {
        for (int i = 0; i < 2; i++) {
            post("/v1/completions", """
                    {"model": "down", "prompt": "Hi"}""").expectStatus().isEqualTo(503);
        }
        assertThat(guard.breaker("completions").getState()).isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN);
        try {
            scheduler.serving(true);

            // wait-in-open-state is 30 s here: only the health probe (every 250 ms) can close it this soon
            await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(guard.breaker("completions").getState())
                    .isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED));
            post("/v1/completions", """
                    {"model": "tiny", "prompt": "Hi"}""").expectStatus().isOk();
        } finally {
            scheduler.serving(false);
        }
    }

    @Test
    void countsRequestsTokensAndFirstTokenTimesByRouteModelAndKeyName() {
        post("/v1/chat/completions", """
                {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "stream": true}""").expectStatus().isOk();

        // the request meters are recorded once the response is done, which is a moment after the client has it
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(scrape())
                .containsPattern("gateway_requests_total\\{[^}]*key=\"dev\"[^}]*model=\"tiny\"[^}]*route=\"chat-completions\"[^}]*status=\"200\"")
                .containsPattern("gateway_request_duration_seconds_bucket\\{[^}]*model=\"tiny\"[^}]*route=\"chat-completions\"")
                .containsPattern("gateway_time_to_first_token_seconds_bucket\\{[^}]*model=\"tiny\"[^}]*route=\"chat-completions\"")
                .containsPattern("gateway_time_per_output_token_seconds_count\\{[^}]*model=\"tiny\"")
                .containsPattern("gateway_tokens_total\\{[^}]*kind=\"input\",model=\"tiny\"")
                .containsPattern("gateway_tokens_total\\{[^}]*kind=\"output\",model=\"tiny\"")
                .doesNotContain("sk-dev"));
    }

    @Test
    void neverMakesAModelTagOutOfANameNoWorkerServes() {
        post("/v1/chat/completions", """
                {"model": "made-up-model-xyz", "messages": [{"role": "user", "content": "Hi"}]}""").expectStatus().isNotFound();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(scrape()).doesNotContain("made-up-model-xyz")
                .containsPattern("gateway_requests_total\\{[^}]*model=\"none\"[^}]*status=\"404\""));
    }

    @Test
    void countsRateLimitRejectionsByLimit() {
        http.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer sk-tight").exchange().expectStatus().isOk();
        http.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer sk-tight").exchange()
                .expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().valueEquals("x-ratelimit-remaining-requests", "0");

        assertThat(scrape()).containsPattern("gateway_ratelimit_rejections_total\\{[^}]*limit=\"requests\"[^}]*\\} [1-9]");
    }

    private WebTestClient.ResponseSpec post(String uri, String body) {
        return http.post().uri(uri).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    @org.springframework.boot.test.web.server.LocalManagementPort
    int managementPort;

    private String scrape() {
        return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + managementPort)
                .codecs(c -> c.defaultCodecs().maxInMemorySize(16 * 1024 * 1024)).build()
                .get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
    }
}
