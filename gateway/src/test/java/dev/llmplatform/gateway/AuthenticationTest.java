package dev.llmplatform.gateway;

import com.sun.net.httpserver.HttpServer;
import dev.llmplatform.gateway.domain.ApiKeyRing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** With keys configured: /v1 wants an API key, /admin an admin key; the actuator lives on the management port. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"gateway.api-keys=sk-one,sk-two", "gateway.admin-keys=adm-one",
                // a hashed key without the admin scope, and one with only the admin scope
                "gateway.keys[0].name=reader", "gateway.keys[0].sha256=${reader.sha256}",
                "gateway.keys[1].name=operator", "gateway.keys[1].sha256=${operator.sha256}", "gateway.keys[1].scopes=admin"})
@AutoConfigureWebTestClient
class AuthenticationTest {

    static final FakeScheduler scheduler = FakeScheduler.start();
    static final HttpServer registry = fakeRegistryAdmin();

    @DynamicPropertySource
    static void targets(DynamicPropertyRegistry properties) {
        properties.add("reader.sha256", () -> ApiKeyRing.sha256Hex("sk-reader"));
        properties.add("operator.sha256", () -> ApiKeyRing.sha256Hex("sk-operator"));
        properties.add("gateway.scheduler-target", scheduler::target);
        properties.add("gateway.registry-http-url", () -> "http://127.0.0.1:" + registry.getAddress().getPort());
    }

    @AfterAll
    static void stop() {
        scheduler.stop();
        registry.stop(0);
    }

    @Autowired
    WebTestClient http;

    @Test
    void refusesARequestWithoutAKey() {
        http.get().uri("/v1/models").exchange()
                .expectStatus().isUnauthorized()
                .expectHeader().exists("x-request-id")
                .expectBody()
                .jsonPath("$.error.type").isEqualTo("invalid_request_error")
                .jsonPath("$.error.code").isEqualTo("invalid_api_key");
    }

    @Test
    void refusesAWrongKey() {
        http.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, "Bearer sk-three")
                .bodyValue("{}").exchange()
                .expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.error.code").isEqualTo("invalid_api_key");
    }

    @Test
    void acceptsEachConfiguredKey() {
        http.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer sk-one").exchange().expectStatus().isOk();
        http.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer sk-two").exchange().expectStatus().isOk();
    }

    @Test
    void keepsTheAdminApiForAdminKeysAndRoutesItToTheRegistry() {
        http.get().uri("/admin/models").exchange().expectStatus().isUnauthorized();
        http.get().uri("/admin/models").header(HttpHeaders.AUTHORIZATION, "Bearer sk-one").exchange().expectStatus().isForbidden();
        http.get().uri("/admin/models").header(HttpHeaders.AUTHORIZATION, "Bearer adm-one").exchange()
                .expectStatus().isOk()
                .expectBody(String.class).isEqualTo("registry saw GET /admin/models");
    }

    @Test
    void acceptsAKeyConfiguredOnlyByItsHash() {
        http.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer sk-reader").exchange().expectStatus().isOk();
    }

    @Test
    void answers403ToAValidKeyWithoutTheScope() {
        http.get().uri("/admin/models").header(HttpHeaders.AUTHORIZATION, "Bearer sk-reader").exchange()
                .expectStatus().isForbidden()
                .expectBody().jsonPath("$.error.code").isEqualTo("insufficient_scope");
        http.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer sk-operator").exchange()
                .expectStatus().isForbidden();
        http.get().uri("/admin/models").header(HttpHeaders.AUTHORIZATION, "Bearer sk-operator").exchange()
                .expectStatus().isOk();
    }

    @Test
    void configuringAnyKeyRetiresTheDevKey() {
        http.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer sk-llm-platform-dev").exchange()
                .expectStatus().isUnauthorized();
    }

    @org.springframework.boot.test.web.server.LocalManagementPort
    int managementPort;

    @Test
    void servesProbesAndMetricsOnlyOnTheManagementPort() {
        // the public port: no metrics (key names, per-key counts) for anyone, whatever the key
        http.get().uri("/actuator/prometheus").exchange().expectStatus().isUnauthorized();
        http.get().uri("/actuator/prometheus").header(HttpHeaders.AUTHORIZATION, "Bearer sk-one").exchange().expectStatus().isNotFound();
        // the management port (loopback, or TLS with Prometheus's certificate in a deployment): probes and metrics
        var management = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + managementPort).build();
        management.get().uri("/actuator/health").exchange().expectStatus().isOk();
        management.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
        management.get().uri("/actuator/prometheus").exchange().expectStatus().isOk();
        management.get().uri("/actuator/env").exchange().expectStatus().isNotFound();
    }

    @Test
    void refusesAnUnknownPathWithoutAKeyWith401NotA404() {
        http.get().uri("/nothing/here").exchange()
                .expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.error.code").isEqualTo("invalid_api_key");
        http.get().uri("/nothing/here").header(HttpHeaders.AUTHORIZATION, "Bearer sk-one").exchange().expectStatus().isNotFound();
    }

    /** Stands in for the registry's admin REST API, only to show that /admin/** is proxied there. */
    private static HttpServer fakeRegistryAdmin() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/admin", exchange -> {
                byte[] body = ("registry saw " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath())
                        .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
