package dev.llmplatform.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** HTTP/1.x over a raw socket to 127.0.0.1, so that the request line and headers go out exactly as written. */
public final class RawHttp {

    private RawHttp() {
    }

    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
        }
    }

    /** Sends the bytes and reads the answer until the server closes (send Connection: close), at most timeoutMillis. */
    public static Response exchange(int port, byte[] request, int timeoutMillis) throws IOException {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(timeoutMillis);
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
            } catch (IOException e) {
                // refused before the whole request was read: the answer still counts
            }
            return parse(readToEnd(socket.getInputStream()));
        }
    }

    public static Response exchange(int port, String request) throws IOException {
        return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), 15_000);
    }

    public static byte[] readToEnd(InputStream in) throws IOException {
        var all = new ByteArrayOutputStream();
        byte[] buffer = new byte[16 * 1024];
        try {
            for (int n; (n = in.read(buffer)) != -1; ) {
                all.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no complete answer in time; got: " + all.toString(StandardCharsets.ISO_8859_1), e);
        } catch (IOException e) {
            if (all.size() == 0) {
                throw e;
            }
        }
        return all.toByteArray();
    }

    public static Response parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || headEnd < 0) {
            throw new AssertionError("not an HTTP response: '" + text + "'");
        }
        String[] lines = text.substring(0, headEnd).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        String body = new String(Arrays.copyOfRange(bytes, headEnd + 4, bytes.length), StandardCharsets.UTF_8);
        return new Response(Integer.parseInt(lines[0].substring(9, 12)), headers, body);
    }
}
