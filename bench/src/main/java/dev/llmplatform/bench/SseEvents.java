package dev.llmplatform.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Reads a text/event-stream as the WHATWG spec defines it, as far as OpenAI streams need: the data lines of an
 * event (joined by newlines) are handed over when its blank line arrives, comments and other fields are skipped.
 */
public final class SseEvents {

    private SseEvents() {
    }

    /** Calls {@code onData} with each event's data, as soon as the event is complete; returns at end of stream. */
    public static void read(InputStream stream, Consumer<String> onData) throws IOException {
        var reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
        StringBuilder data = null;
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    onData.accept(data.toString());
                    data = null;
                }
                continue;
            }
            if (line.startsWith(":")) {
                continue; // a comment, e.g. a keep-alive
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            if (!field.equals("data")) {
                continue;
            }
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            if (data == null) {
                data = new StringBuilder(value);
            } else {
                data.append('\n').append(value);
            }
        }
        if (data != null) {
            onData.accept(data.toString()); // a last event without its blank line still counts
        }
    }
}
