package dev.llmplatform.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmplatform.gateway.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Connection hygiene with short limits, over raw loopback sockets: slow request heads and idle connections are
 * closed in time while others are served, and past the connection limit a newcomer gets a clear 503 — quietly.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "server.address=127.0.0.1", "gateway.http-header-timeout=1s", "gateway.http-idle-timeout=2s", "gateway.max-connections=8"})
@ExtendWith(OutputCaptureExtension.class)
class ConnectionGuardTest {

    /** The cheapest request the public port answers by itself: a 401 for the missing key. */
    static final String HEALTH = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

    @LocalServerPort
    int port;

    @Autowired
    @Qualifier("connectionGuard")
    NettyServerCustomizer guard;

    @BeforeEach
    void noConnectionsLeftOpen() {
        await().atMost(Duration.ofSeconds(10)).until(() -> ((ConnectionGuard) guard).open() == 0);
    }

    @Test
    void closesASlowLorisThatNeverCompletesItsHead(CapturedOutput output) throws IOException {
        try (Socket loris = connect()) {
            OutputStream out = loris.getOutputStream();
            out.write("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.ISO_8859_1));
            long start = System.nanoTime();
            boolean closed = false;
            // one header byte every 200 ms (bounded: at most 40 bytes, 8 s): the idle timeout never fires, the head timeout must
            for (int i = 0; i < 40 && !closed; i++) {
                try {
                    out.write('X');
                    out.flush();
                    closed = isClosed(loris, 200);
                } catch (SocketException e) {
                    closed = true;
                }
                if (i == 1) {
                    assertThat(RawHttp.exchange(port, HEALTH).status()).as("another connection meanwhile").isEqualTo(401);
                }
            }
            assertThat(closed).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> ((ConnectionGuard) guard).open() == 0);
        assertQuiet(output);
    }

    @Test
    void closesAConnectionThatSendsNothing() throws IOException {
        try (Socket silent = connect()) {
            assertThat(isClosed(silent, 5_000)).isTrue();
        }
    }

    @Test
    void closesAKeptAliveConnectionAfterTheIdleTimeoutAndServesIt() throws IOException {
        try (Socket kept = connect()) {
            for (int i = 0; i < 2; i++) { // two requests on one connection: the head timeout re-arms without closing it
                kept.getOutputStream().write("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                assertThat(readOneResponse(kept.getInputStream())).startsWith("HTTP/1.1 401");
            }
            assertThat(isClosed(kept, 6_000)).as("closed after the idle timeout").isTrue();
        }
    }

    @Test
    void refusesConnectionsPastTheLimitWithA503AndServesAgainOnceTheyClose(CapturedOutput output) throws IOException {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                held.add(connect());
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> ((ConnectionGuard) guard).open() >= 8);

            RawHttp.Response refused = RawHttp.exchange(port, HEALTH.getBytes(StandardCharsets.ISO_8859_1), 5_000);

            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(refused.header("Connection")).isEqualTo("close");
            assertThat(refused.body()).contains("\"code\":\"service_unavailable\"", "\"type\":\"server_error\"");
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ((ConnectionGuard) guard).open() == 0);
        assertThat(RawHttp.exchange(port, HEALTH).status()).isEqualTo(401);
        assertQuiet(output);
    }

    /** Nothing logged per connection: no WARN or ERROR from Netty or the guard. */
    private static void assertQuiet(CapturedOutput output) {
        assertThat(output.getAll().lines()
                .filter(line -> line.contains(" WARN ") || line.contains(" ERROR "))
                .filter(line -> line.contains("netty") || line.contains("r.n.") || line.contains("ConnectionGuard"))
                // Netty's sampled leak reports come from any buffer of the JVM that a GC finds (gRPC's event loops
                // of earlier tests included), not from a log line per connection
                .filter(line -> !line.contains("ResourceLeakDetector")))
                .isEmpty();
    }

    private Socket connect() throws IOException {
        var socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        return socket;
    }

    /** Whether the server closes the connection within the time (reads and drops anything it sends first). */
    private static boolean isClosed(Socket socket, int millis) throws IOException {
        socket.setSoTimeout(millis);
        InputStream in = socket.getInputStream();
        try {
            byte[] buffer = new byte[4096];
            long deadline = System.nanoTime() + millis * 1_000_000L;
            while (System.nanoTime() < deadline) {
                if (in.read(buffer) == -1) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset
        }
    }

    /** One response with a Content-Length, read exactly, leaving the connection open. */
    private static String readOneResponse(InputStream in) throws IOException {
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("closed before the head was complete: " + head);
            }
            head.append((char) b);
        }
        int length = head.toString().lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                .map(l -> Integer.parseInt(l.substring(15).strip())).findFirst().orElseThrow();
        in.readNBytes(length);
        return head.toString();
    }
}
