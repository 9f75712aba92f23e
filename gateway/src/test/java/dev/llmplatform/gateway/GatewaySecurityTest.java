package dev.llmplatform.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmplatform.gateway.domain.ApiKeyRing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The gateway's security rules over real sockets, with a registry stand-in that records every request it gets:
 * one canonical path (a bypass corpus of encodings, parameters, dot segments, override headers, absolute-form
 * targets and HTTP/1.0 never reaches /admin or /v1 without the right key), the failed-key throttle, the keys
 * file, admin uploads, the audit log and the cost limits.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "server.address=127.0.0.1", "gateway.api-keys=sk-user", "gateway.admin-keys=sk-admin",
        "gateway.keys-file-poll-interval=200ms",
        // 127.0.0.1 is a trusted proxy here only so that the throttle test can speak for several client addresses
        "gateway.auth-failures.max-per-minute=5", "gateway.auth-failures.trusted-proxies=127.0.0.1",
        "gateway.limits.max-prompt-characters=100000", "gateway.limits.max-schema-bytes=1KB"})
@AutoConfigureWebTestClient
@ExtendWith(OutputCaptureExtension.class)
class GatewaySecurityTest {

    static final FakeScheduler scheduler = FakeScheduler.start();
    static final RecordingRegistry registry = RecordingRegistry.start();
    static final Path keysFile = tempKeysFile();
    static final String USER = "sk-user";
    static final String ADMIN = "sk-admin";

    @DynamicPropertySource
    static void targets(DynamicPropertyRegistry properties) {
        properties.add("gateway.scheduler-target", scheduler::target);
        properties.add("gateway.registry-http-url", registry::url);
        properties.add("gateway.keys-file", keysFile::toString);
    }

    @AfterAll
    static void stop() throws IOException {
        scheduler.stop();
        registry.stop();
        Files.deleteIfExists(keysFile);
    }

    @LocalServerPort
    int port;

    @Autowired
    WebTestClient http;

    // ---- the bypass corpus -------------------------------------------------------------------------------------

    record Attempt(String name, String method, String target, String version, List<String> headers) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> bypassAttempts() {
        var targets = new LinkedHashSet<String>();
        for (String word : List.of("admin", "v1")) {
            for (int i = 0; i < word.length(); i++) {
                String hex = Integer.toHexString(word.charAt(i));
                targets.add("/" + word.substring(0, i) + "%" + hex + word.substring(i + 1) + "/models");
                targets.add("/" + word.substring(0, i) + "%" + hex.toUpperCase(Locale.ROOT) + word.substring(i + 1) + "/models");
                targets.add("/" + word.substring(0, i) + "%25" + hex + word.substring(i + 1) + "/models"); // double encoded
            }
        }
        targets.addAll(List.of("/%61%64%6d%69%6e/models", "/%76%31/models", "/%25%36%31dmin/models", "/%2561%2564min/models",
                // ';' parameters in each segment
                "/admin;/models", "/admin;x=y/models", "/admin/models;", "/admin/models;x=1", "/;/admin/models", "/admin%3b/models",
                "/v1;/models", "/v1/models;x", "/v1;/chat/completions", "/admin;jsessionid=1/models",
                // dot segments, plain and encoded
                "/v1/../admin/models", "/x/../admin/models", "/admin/./models", "/./admin/models", "/admin/models/..",
                "/v1/%2e%2e/admin/models", "/v1/%2E%2E/admin/models", "/v1/.%2e/admin/models", "/v1/%2e./admin/models",
                "/v1/..%2fadmin/models", "/v1/%2e%2e%2fadmin/models", "/v1/..%5cadmin/models", "/v1/..\\admin/models",
                "/actuator/health/../../admin/models", "/actuator/health/%2e%2e/%2e%2e/admin/models", "/actuator/health;/../admin/models",
                // empty segments
                "//admin/models", "/admin//models", "//v1/models", "/v1//models",
                // case
                "/ADMIN/models", "/Admin/models", "/aDmin/models", "/ADMIN/MODELS", "/V1/models", "/V1/MODELS",
                // encoded separators and control characters
                "/admin%2fmodels", "/admin%2Fmodels", "/%2fadmin/models", "/v1%2fmodels", "/admin%00/models", "/admin%20/models",
                "/admin%09/models", "/admin%0d%0a/models", "/admin%5c/models",
                // near misses of the open health probes
                "/actuator/healthz", "/actuator/health-x", "/actuator/prometheus", "/actuator/env", "/actuator", "/",
                // the real thing, for comparison
                "/admin/models", "/admin", "/admin/", "/v1/models"));
        var attempts = new ArrayList<Attempt>();
        for (String target : targets) {
            attempts.add(new Attempt("GET " + target, "GET", target, "HTTP/1.1", List.of()));
        }
        for (String target : List.of("/%61dmin/models", "/adm%69n/models", "/admin;/models", "/admin;x=y/models", "/v1/../admin/models")) {
            attempts.add(new Attempt("POST " + target, "POST", target, "HTTP/1.1", List.of()));
            attempts.add(new Attempt("PUT " + target, "PUT", target, "HTTP/1.1", List.of()));
            attempts.add(new Attempt("DELETE " + target, "DELETE", target, "HTTP/1.1", List.of()));
        }
        for (String header : List.of("X-Original-URL: /admin/models", "X-Rewrite-URL: /admin/models", "X-Forwarded-Prefix: /admin",
                "X-Forwarded-Host: registry", "X-Forwarded-Proto: https", "X-HTTP-Method-Override: DELETE",
                "Forwarded: for=127.0.0.1;host=registry;proto=https", "X-Forwarded-Path: /admin/models")) {
            for (String target : List.of("/v1/models", "/models", "/nothing")) {
                attempts.add(new Attempt(header + " on " + target, "GET", target, "HTTP/1.1", List.of(header)));
            }
        }
        for (String target : List.of("/%61dmin/models", "/admin/models", "/v1;/models", "/v1/models", "/adm%69n/models")) {
            attempts.add(new Attempt("absolute-form " + target, "GET", "http://127.0.0.1:{port}" + target, "HTTP/1.1", List.of()));
            attempts.add(new Attempt("HTTP/1.0 " + target, "GET", target, "HTTP/1.0", List.of()));
        }
        attempts.add(new Attempt("absolute-form other host", "GET", "http://registry.internal/admin/models", "HTTP/1.1", List.of()));
        return attempts.stream().flatMap(a -> Stream.of(Arguments.of(a, null), Arguments.of(a, USER)));
    }

    @Test
    void holdsAtLeastAHundredAttempts() {
        assertThat(bypassAttempts().count()).isGreaterThanOrEqualTo(100);
    }

    @ParameterizedTest(name = "{0} with key {1}")
    @MethodSource("bypassAttempts")
    void noVariantReachesTheAdminApiOrTheApiWithoutTheRightKey(Attempt attempt, String key) throws IOException {
        int before = registry.count();

        RawHttp.Response response = RawHttp.exchange(port, request(attempt, key));

        assertThat(registry.count()).as("requests the registry got").isEqualTo(before);
        assertThat(response.status()).as("status").isLessThan(500);
        if (key == null) {
            assertThat(response.status()).as("status without a key").isIn(400, 401);
        }
    }

    @Test
    void forwardsTheCanonicalPathOfAnEncodedAdminPathWithTheAdminKey() throws IOException {
        int before = registry.count();

        var response = RawHttp.exchange(port, request(new Attempt("", "GET", "/%61dmin/models", "HTTP/1.1",
                List.of("X-Platform-Principal: root")), ADMIN));

        assertThat(response.status()).isEqualTo(200);
        var seen = registry.seen().get(before);
        assertThat(seen.path()).isEqualTo("/admin/models");
        assertThat(seen.principal()).as("the key's name, not what the client sent").isEqualTo("admin-key-1");
    }

    @Test
    void servesTheCanonicalPathOfAnEncodedApiPathWithAnApiKey() throws IOException {
        assertThat(RawHttp.exchange(port, request(new Attempt("", "GET", "/%761/models", "HTTP/1.1", List.of()), USER)).status())
                .isEqualTo(200);
    }

    @Test
    void refusesPathParametersWith400EvenWithAKeyNever500() throws IOException {
        var response = RawHttp.exchange(port, request(new Attempt("", "POST", "/v1;/chat/completions", "HTTP/1.1", List.of()), USER));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).contains("\"code\":\"invalid_path\"");
        assertThat(response.header("x-request-id")).isNotBlank();
    }

    // ---- failed authentication -----------------------------------------------------------------------------------

    @Test
    void throttlesAnAddressAfterTooManyWrongKeysWithoutCheckingItsKeys() {
        for (int i = 0; i < 5; i++) {
            get("/v1/models", "sk-guess-" + i, "203.0.113.9").expectStatus().isUnauthorized();
        }

        get("/v1/models", "sk-guess-5", "203.0.113.9").expectStatus().isEqualTo(429)
                .expectHeader().value(HttpHeaders.RETRY_AFTER, seconds -> assertThat(Integer.parseInt(seconds)).isBetween(1, 60))
                .expectBody().jsonPath("$.error.code").isEqualTo("too_many_failed_authentications");
        get("/v1/models", USER, "203.0.113.9").expectStatus().isEqualTo(429);
        get("/v1/models", "sk-guess-6", "203.0.113.10").expectStatus().isUnauthorized();
        get("/v1/models", USER, "203.0.113.10").expectStatus().isOk();
    }

    @Test
    void doesNotCountSuccessfulAuthentications() {
        for (int i = 0; i < 20; i++) {
            get("/v1/models", USER, "203.0.113.20").expectStatus().isOk();
        }
    }

    // ---- the keys file ---------------------------------------------------------------------------------------------

    @Test
    void addsAndRevokesKeysFromTheKeysFileWithoutARestart(CapturedOutput output) throws IOException {
        writeKeys("""
                keys:
                  - name: file-team
                    sha256: %s
                    scopes: [inference]
                    requests-per-minute: 0
                """.formatted(ApiKeyRing.sha256Hex("sk-from-file")));
        // every try from a new address: the tries before the reload are failed authentications
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> get("/v1/models", "sk-from-file", freshAddress()).expectStatus().isOk());

        writeKeys("keys: [ {name: broken");
        await().atMost(Duration.ofSeconds(10)).until(() -> output.getAll().contains("is invalid"));
        get("/v1/models", "sk-from-file", freshAddress()).expectStatus().isOk(); // a broken file keeps the keys in force

        writeKeys("[]");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                get("/v1/models", "sk-from-file", freshAddress()).expectStatus().isUnauthorized());
    }

    // ---- admin uploads and the audit log -----------------------------------------------------------------------------

    @Test
    void streamsALargeUploadWithTheAdminKeyToTheRegistry() throws IOException {
        int size = 5 * 1024 * 1024;
        int before = registry.count();

        var response = RawHttp.exchange(port, upload("/admin/models/tiny/artifact", size, ADMIN, false), 60_000);

        assertThat(response.status()).isEqualTo(201);
        assertThat(registry.seen().get(before).bodyBytes()).isEqualTo(size);
    }

    @Test
    void streamsAChunkedUploadWithTheAdminKeyToTheRegistry() throws IOException {
        int size = 3 * 1024 * 1024;
        int before = registry.count();

        var response = RawHttp.exchange(port, upload("/admin/models/tiny/artifact", size, ADMIN, true), 60_000);

        assertThat(response.status()).isEqualTo(201);
        assertThat(registry.seen().get(before).bodyBytes()).isEqualTo(size);
    }

    @Test
    void refusesAnUploadWithoutTheAdminKeyBeforeTheRegistrySeesIt() throws IOException {
        int before = registry.count();

        assertThat(RawHttp.exchange(port, upload("/admin/models/tiny/artifact", 5 * 1024 * 1024, null, false), 60_000).status())
                .isEqualTo(401);
        assertThat(RawHttp.exchange(port, upload("/admin/models/tiny/artifact", 5 * 1024 * 1024, USER, false), 60_000).status())
                .isEqualTo(403);
        assertThat(registry.count()).isEqualTo(before);
    }

    @Test
    void keepsTheJsonLimitForTheApiEvenWithTheAdminKey() throws IOException {
        assertThat(RawHttp.exchange(port, upload("/v1/chat/completions", 2 * 1024 * 1024, ADMIN, false), 60_000).status())
                .isEqualTo(413);
    }

    @Test
    void auditsEveryAdminRequestWithoutASecret(CapturedOutput output) {
        http.get().uri("/admin/models").header(HttpHeaders.AUTHORIZATION, "Bearer " + ADMIN).header("x-request-id", "audit-ok-1")
                .exchange().expectStatus().isOk();
        http.delete().uri("/admin/models/tiny").header(HttpHeaders.AUTHORIZATION, "Bearer " + USER).header("x-request-id", "audit-no-2")
                .exchange().expectStatus().isForbidden();
        http.get().uri("/admin/models").header("x-request-id", "audit-no-3").exchange().expectStatus().isUnauthorized();

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(auditLine(output, "audit-ok-1")).contains("key=admin-key-1", "client=127.0.0.1", "method=GET",
                    "path=/admin/models", "status=200", "access=authorized");
            assertThat(auditLine(output, "audit-no-2")).contains("key=api-key-1", "method=DELETE", "path=/admin/models/tiny",
                    "status=403", "access=denied");
            assertThat(auditLine(output, "audit-no-3")).contains("key=-", "status=401", "access=denied");
        });
        assertThat(output.getAll()).doesNotContain(ADMIN).doesNotContain("Bearer");
    }

    // ---- cost limits -----------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void refuses20000MessagesAtOnce() {
        String body = "{\"model\": \"tiny\", \"messages\": [" + String.join(",", java.util.Collections.nCopies(20_000,
                "{\"role\": \"user\", \"content\": \"\"}")) + "]}";

        post("/v1/chat/completions", body).expectStatus().isBadRequest()
                .expectBody()
                .jsonPath("$.error.message").isEqualTo("20000 messages exceed the limit of 2048.")
                .jsonPath("$.error.param").isEqualTo("messages");
    }

    @Test
    void refusesPromptsOverTheCharacterLimit() {
        String big = "x".repeat(60_000);
        post("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"" + big + "\"},"
                + "{\"role\": \"user\", \"content\": \"" + big + "\"}]}")
                .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("messages")
                .jsonPath("$.error.message").value(m -> assertThat((String) m).contains("100000"));
        post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"" + "y".repeat(100_001) + "\"}")
                .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("prompt");
    }

    @Test
    void limitsTheSizeOfIgnoredSchemaFields() {
        String schema = "{\"type\": \"object\", \"description\": \"" + "z".repeat(2000) + "\"}";
        post("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                + "\"response_format\": {\"type\": \"json_schema\", \"json_schema\": " + schema + "}}")
                .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("response_format");
        post("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                + "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": " + schema + "}}]}")
                .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("tools");
        post("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                + "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}")
                .expectStatus().isOk();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private String request(Attempt attempt, String key) {
        var head = new StringBuilder(attempt.method()).append(' ').append(attempt.target().replace("{port}", Integer.toString(port)))
                .append(' ').append(attempt.version()).append("\r\n");
        if (attempt.version().equals("HTTP/1.1")) {
            head.append("Host: 127.0.0.1:").append(port).append("\r\nConnection: close\r\n");
        }
        if (key != null) {
            head.append("Authorization: Bearer ").append(key).append("\r\n");
        }
        attempt.headers().forEach(h -> head.append(h).append("\r\n"));
        if (Set.of("POST", "PUT").contains(attempt.method())) {
            head.append("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
        } else {
            head.append("\r\n");
        }
        return head.toString();
    }

    private byte[] upload(String path, int size, String key, boolean chunked) {
        var head = new StringBuilder("PUT ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
                .append("Content-Type: application/octet-stream\r\n");
        if (key != null) {
            head.append("Authorization: Bearer ").append(key).append("\r\n");
        }
        head.append(chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: " + size + "\r\n\r\n");
        var out = new java.io.ByteArrayOutputStream(size + 4096);
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        byte[] block = new byte[256 * 1024];
        java.util.Arrays.fill(block, (byte) 'm');
        for (int sent = 0; sent < size; sent += block.length) {
            int n = Math.min(block.length, size - sent);
            if (chunked) {
                out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            out.write(block, 0, n);
            if (chunked) {
                out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        if (chunked) {
            out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        return out.toByteArray();
    }

    private WebTestClient.ResponseSpec get(String path, String key, String forwardedFor) {
        return http.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + key).header("X-Forwarded-For", forwardedFor).exchange();
    }

    private WebTestClient.ResponseSpec post(String path, String body) {
        return http.post().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + USER).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange();
    }

    private static final java.util.concurrent.atomic.AtomicInteger addresses = new java.util.concurrent.atomic.AtomicInteger();

    private static String freshAddress() {
        int n = addresses.incrementAndGet();
        return "198.51." + (100 + n / 250) + "." + (n % 250 + 1);
    }

    private static String auditLine(CapturedOutput output, String requestId) {
        return output.getAll().lines().filter(l -> l.contains("admin-request") && l.contains("request_id=" + requestId))
                .findFirst().orElse("");
    }

    private static void writeKeys(String content) throws IOException {
        Path next = Files.createTempFile(keysFile.getParent(), "keys", ".tmp");
        Files.writeString(next, content);
        Files.move(next, keysFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static Path tempKeysFile() {
        try {
            Path file = Files.createTempFile("gateway-keys", ".yaml");
            Files.writeString(file, "keys: []\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
