package dev.llmplatform.gateway.chat;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import tools.jackson.core.io.JsonStringEncoder;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server-sent events of one streamed choice that differ only in their text: the event is serialized once,
 * with a marker in the text's place, and each token then costs an escape of its text between the bytes before
 * and after the marker, rather than a serialization of the whole chunk. The bytes are those Jackson writes.
 */
final class TextEventTemplate {

    private static final String MARKER = "TEXT-7f3a9c1e-MARKER";
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);

    private final byte[] before;
    private final byte[] after;

    private TextEventTemplate(byte[] before, byte[] after) {
        this.before = before;
        this.after = after;
    }

    /** @param event the event with the given text in it (the marker, once) */
    static TextEventTemplate of(JsonMapper json, Function<String, Object> event) {
        String whole = json.writeValueAsString(event.apply(MARKER));
        int at = whole.indexOf(MARKER);
        if (at < 0 || whole.indexOf(MARKER, at + 1) >= 0) {
            throw new IllegalArgumentException("the event must hold its text exactly once: " + whole);
        }
        byte[] head = whole.substring(0, at).getBytes(StandardCharsets.UTF_8);
        byte[] before = new byte[DATA.length + head.length];
        System.arraycopy(DATA, 0, before, 0, DATA.length);
        System.arraycopy(head, 0, before, DATA.length, head.length);
        return new TextEventTemplate(before, (whole.substring(at + MARKER.length()) + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The whole {@code data: {...}\n\n} frame of the event holding {@code text}. */
    ServerSentEvents.Frame frame(String text) {
        byte[] escaped = JsonStringEncoder.getInstance().quoteAsUTF8(text);
        byte[] frame = new byte[before.length + escaped.length + after.length];
        System.arraycopy(before, 0, frame, 0, before.length);
        System.arraycopy(escaped, 0, frame, before.length, escaped.length);
        System.arraycopy(after, 0, frame, before.length + escaped.length, after.length);
        return new ServerSentEvents.Frame(frame);
    }
}
