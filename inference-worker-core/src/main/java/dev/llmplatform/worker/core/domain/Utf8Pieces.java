package dev.llmplatform.worker.core.domain;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Joins token pieces into text. A token may end in the middle of a UTF-8 character; those bytes wait for the
 * next token instead of becoming a replacement character.
 */
public final class Utf8Pieces {

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /** Appends a piece and returns all text that is complete so far. */
    public String append(byte[] piece) {
        pending.writeBytes(piece);
        byte[] bytes = pending.toByteArray();
        int complete = completePrefix(bytes);
        pending.reset();
        pending.write(bytes, complete, bytes.length - complete);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** What is left at the end: bytes that never became a whole character, rendered as they are. */
    public String flush() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    /** Length of the longest prefix that does not end inside a multi-byte character. */
    static int completePrefix(byte[] bytes) {
        int end = bytes.length;
        // look back at most 3 bytes for the lead byte of the last character
        for (int back = 1; back <= Math.min(3, end); back++) {
            int b = bytes[end - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // continuation byte
            }
            int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return length > back ? end - back : end;
        }
        return end;
    }
}
