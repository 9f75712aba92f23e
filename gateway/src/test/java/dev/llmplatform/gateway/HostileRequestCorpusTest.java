package dev.llmplatform.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Replays hostile-requests.jsonl, a corpus of malformed and hostile requests (bad JSON, wrong types, huge and
 * stalled bodies, invalid UTF-8, header injection, absurd parameters, wrong methods, paths and content types),
 * over a raw socket so that nothing is tidied up by a client library on the way. Every one must be answered
 * within a bounded time with a 4xx: never a 5xx, never a hang. Those the application sees get OpenAI's JSON
 * error body; the few that the HTTP codec refuses before the application ("json": false) get its bare 4xx.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"gateway.http-read-timeout=2s", "gateway.http-request-timeout=5s", "server.address=127.0.0.1"})
class HostileRequestCorpusTest {

    static final String DEV_KEY = "sk-llm-platform-dev";
    static final int RESPONSE_TIMEOUT_MILLIS = 15_000;
    static final FakeScheduler scheduler = FakeScheduler.start();
    static final JsonMapper json = JsonMapper.builder().build();

    @DynamicPropertySource
    static void schedulerTarget(DynamicPropertyRegistry registry) {
        registry.add("gateway.scheduler-target", scheduler::target);
    }

    @AfterAll
    static void stopScheduler() {
        scheduler.stop();
    }

    @LocalServerPort
    int port;

    static Stream<Arguments> corpus() throws IOException {
        try (InputStream in = HostileRequestCorpusTest.class.getResourceAsStream("/hostile-requests.jsonl")) {
            var lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.isBlank() && !line.startsWith("#"))
                    .map(json::readTree)
                    .toList();
            return lines.stream().map(entry -> Arguments.of(entry.get("name").stringValue(), entry));
        }
    }

    @Test
    void holdsAtLeastTwoHundredAndThirtyRequests() throws IOException {
        assertThat(corpus().count()).isGreaterThanOrEqualTo(230);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void answersWithA4xxNeverA5xxNorAHang(String name, JsonNode entry) throws IOException {
        Response response = send(entry);

        assertThat(response.status()).as("status of '%s'", name).isBetween(400, 499);
        if (entry.has("expect")) {
            assertThat(response.status()).as("status of '%s'", name).isEqualTo(entry.get("expect").intValue());
        }
        if (entry.has("anyOf")) {
            List<Integer> allowed = new ArrayList<>();
            entry.get("anyOf").forEach(n -> allowed.add(n.intValue()));
            assertThat(response.status()).as("status of '%s'", name).isIn(allowed);
        }
        if (!entry.has("json") || entry.get("json").booleanValue()) {
            assertThat(response.header("content-type")).as("content type of '%s'", name).startsWith("application/json");
            JsonNode error = json.readTree(response.body()).get("error");
            assertThat(error).as("error body of '%s'", name).isNotNull();
            assertThat(error.get("message").stringValue()).isNotBlank();
            assertThat(error.get("type").stringValue()).isNotBlank();
            assertThat(error.has("param")).isTrue();
            assertThat(error.has("code")).isTrue();
            assertThat(response.header("x-request-id")).as("x-request-id of '%s'", name).matches("[A-Za-z0-9._:-]{1,128}");
            if (entry.has("param")) {
                assertThat(error.get("param").stringValue()).as("param of '%s'", name).isEqualTo(entry.get("param").stringValue());
            }
        }
        if (entry.has("forbidResponseHeader")) {
            assertThat(response.headers()).doesNotContainKey(entry.get("forbidResponseHeader").stringValue());
        }
        if (entry.has("requestIdNot")) {
            assertThat(response.header("x-request-id")).doesNotContain(entry.get("requestIdNot").stringValue());
        }
    }

    @Test
    void stillServesAnHonestRequestAfterwards() throws IOException {
        var honest = json.readTree("""
                {"name": "honest", "body": "{\\"model\\": \\"tiny\\", \\"messages\\": [{\\"role\\": \\"user\\", \\"content\\": \\"Hi\\"}]}"}""");

        assertThat(send(honest).status()).isEqualTo(200);
    }

    private Response send(JsonNode entry) throws IOException {
        byte[] request = entry.has("raw") ? entry.get("raw").stringValue().getBytes(StandardCharsets.ISO_8859_1) : build(entry);
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(RESPONSE_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // the server may refuse and close before it has read everything (a huge body): its answer still counts
            }
            return read(socket.getInputStream());
        }
    }

    private static byte[] build(JsonNode entry) {
        String method = text(entry, "method", "POST");
        String path = text(entry, "path", "/v1/chat/completions");
        byte[] body = body(entry);
        var head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1\r\nConnection: close\r\n");
        if (!entry.has("auth") || entry.get("auth").booleanValue()) {
            head.append("Authorization: Bearer ").append(DEV_KEY).append("\r\n");
        }
        String contentType = text(entry, "contentType", "application/json");
        if (body != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (entry.has("headers")) {
            entry.get("headers").properties().forEach(h -> head.append(h.getKey()).append(": ").append(h.getValue().stringValue()).append("\r\n"));
        }
        if (entry.has("extraRawHeaders")) {
            head.append(entry.get("extraRawHeaders").stringValue());
        }
        boolean chunked = entry.has("chunked") && entry.get("chunked").booleanValue();
        if (body != null && chunked) {
            head.append("Transfer-Encoding: chunked\r\n");
        } else if (body != null) {
            long length = entry.has("declaredLength") ? entry.get("declaredLength").longValue() : body.length;
            head.append("Content-Length: ").append(length).append("\r\n");
        }
        var bytes = new ByteArrayOutputStream();
        bytes.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (entry.has("headersHex")) {
            // header bytes that are not ISO-8859-1 text, written as they are
            entry.get("headersHex").properties().forEach(h -> {
                bytes.writeBytes((h.getKey() + ": ").getBytes(StandardCharsets.ISO_8859_1));
                bytes.writeBytes(HexFormat.of().parseHex(h.getValue().stringValue()));
                bytes.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            });
        }
        bytes.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (body != null && chunked) {
            for (int offset = 0; offset < body.length; offset += 64 * 1024) {
                int size = Math.min(64 * 1024, body.length - offset);
                bytes.writeBytes((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                bytes.write(body, offset, size);
                bytes.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            bytes.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        } else if (body != null) {
            bytes.writeBytes(body);
        }
        return bytes.toByteArray();
    }

    private static byte[] body(JsonNode entry) {
        if (entry.has("body")) {
            return entry.get("body").stringValue().getBytes(StandardCharsets.UTF_8);
        }
        if (entry.has("bodyHex")) {
            return HexFormat.of().parseHex(entry.get("bodyHex").stringValue());
        }
        if (entry.has("bodyRepeat")) {
            JsonNode repeat = entry.get("bodyRepeat");
            return (repeat.get("prefix").stringValue() + repeat.get("unit").stringValue().repeat(repeat.get("times").intValue())
                    + repeat.get("suffix").stringValue()).getBytes(StandardCharsets.UTF_8);
        }
        return null;
    }

    private static String text(JsonNode entry, String field, String absent) {
        return entry.has(field) ? entry.get(field).stringValue() : absent;
    }

    /** Reads one HTTP/1.1 response to the end (the request said Connection: close), within the socket timeout. */
    private static Response read(InputStream in) throws IOException {
        var all = new ByteArrayOutputStream();
        byte[] buffer = new byte[16 * 1024];
        try {
            for (int n; (n = in.read(buffer)) != -1; ) {
                all.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no complete answer within " + RESPONSE_TIMEOUT_MILLIS + " ms; got: "
                    + all.toString(StandardCharsets.ISO_8859_1), e);
        } catch (IOException e) {
            // a reset after the answer was sent (the server stopped reading a body it refused) ends the answer
            if (all.size() == 0) {
                throw e;
            }
        }
        byte[] bytes = all.toByteArray();
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || headEnd < 0) {
            throw new AssertionError("not an HTTP response: '" + text + "'");
        }
        String[] lines = text.substring(0, headEnd).split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        byte[] body = java.util.Arrays.copyOfRange(bytes, headEnd + 4, bytes.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Response(status, headers, body);
    }

    private static byte[] dechunk(byte[] chunked) {
        var out = new ByteArrayOutputStream();
        int at = 0;
        while (at < chunked.length) {
            int lineEnd = indexOf(chunked, at);
            int size = Integer.parseInt(new String(chunked, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].strip(), 16);
            if (size == 0) {
                break;
            }
            out.write(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length - 1; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                return i;
            }
        }
        throw new UncheckedIOException(new IOException("malformed chunked body"));
    }

    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.getOrDefault(name, "");
        }
    }
}
