package dev.llmplatform.gateway;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** A stand-in for the model registry on 127.0.0.1 that records every request it gets and counts its body bytes. */
public final class RecordingRegistry {

    public record Seen(String method, String path, String principal, long bodyBytes) {
    }

    private final HttpServer server;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    private RecordingRegistry(HttpServer server) {
        this.server = server;
    }

    public static RecordingRegistry start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            var registry = new RecordingRegistry(server);
            server.createContext("/", exchange -> {
                long bytes = 0;
                try (InputStream body = exchange.getRequestBody()) {
                    byte[] buffer = new byte[64 * 1024];
                    for (int n; (n = body.read(buffer)) != -1; ) {
                        bytes += n;
                    }
                }
                registry.seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                        exchange.getRequestHeaders().getFirst("X-Platform-Principal"), bytes));
                byte[] answer = ("{\"received\": " + bytes + "}").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(Set.of("POST", "PUT").contains(exchange.getRequestMethod()) ? 201 : 200, answer.length);
                exchange.getResponseBody().write(answer);
                exchange.close();
            });
            server.start();
            return registry;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    public int count() {
        return seen.size();
    }

    public void stop() {
        server.stop(0);
    }
}
