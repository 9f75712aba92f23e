package dev.llmplatform.commons.artifacts;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.llmplatform.commons.security.PemFiles;
import dev.llmplatform.commons.security.PlatformCertificates;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * An HTTPS file server on loopback with a certificate from a platform CA of its own: serves byte arrays by path,
 * honours {@code Range: bytes=N-}, records every request's range, can hold responses back ({@link #hold()}) and can
 * break a response off after some bytes ({@link #breakAfter(int)}).
 */
final class TestHttpsServer implements AutoCloseable {

    private final HttpsServer server;
    private final Path caCertificate;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    /** The Range header of each GET, "" when it had none. */
    final List<String> ranges = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch held = new CountDownLatch(0);
    private volatile int breakAfter = -1;

    TestHttpsServer(Path tlsDir) throws IOException {
        var certificates = PlatformCertificates.issue(tlsDir, List.of("artifacts"), List.of());
        this.caCertificate = certificates.caCertificate();
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(PemFiles.sslContext(tlsDir, "artifacts")));
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::serve);
        server.start();
    }

    Path caCertificate() {
        return caCertificate;
    }

    String put(String path, byte[] content) {
        files.put(path, content);
        return "https://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Responses wait until the returned latch is counted down. */
    CountDownLatch hold() {
        held = new CountDownLatch(1);
        return held;
    }

    /** The next response ends (connection closed) after {@code bytes} bytes of its body. */
    void breakAfter(int bytes) {
        breakAfter = bytes;
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String range = exchange.getRequestHeaders().getFirst("Range");
            ranges.add(range == null ? "" : range);
            held.await();
            byte[] content = files.get(exchange.getRequestURI().getPath());
            if (content == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
            if (from >= content.length) {
                exchange.sendResponseHeaders(416, -1);
                return;
            }
            if (range != null) {
                exchange.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
            }
            exchange.sendResponseHeaders(range == null ? 200 : 206, content.length - from);
            int cut = breakAfter;
            breakAfter = -1;
            OutputStream body = exchange.getResponseBody();
            if (cut >= 0) {
                body.write(content, from, cut);
                body.flush();
                // the server drops a connection whose handler fails mid-body: the client sees fewer bytes than announced
                throw new IOException("broken off after " + cut + " bytes, on purpose");
            }
            body.write(content, from, content.length - from);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    URI base() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
