package dev.llmplatform.tokenizer.domain;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of token ids into text deltas. A token can end in the middle of a UTF-8 character (byte-fallback
 * tokens, emoji, CJK); those bytes are held back until the character is complete, so no delta ever carries a
 * broken character. Not thread-safe: one instance per stream.
 */
public final class IncrementalDetokenizer {

    private final ModelTokenizer tokenizer;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    public IncrementalDetokenizer(ModelTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The text that the new tokens complete; empty while a character is still unfinished. */
    public String next(int[] tokenIds) {
        for (int id : tokenIds) {
            pending.writeBytes(tokenizer.decodeBytes(new int[] {id}));
        }
        ByteBuffer bytes = ByteBuffer.wrap(pending.toByteArray());
        CharBuffer chars = CharBuffer.allocate(bytes.remaining() + 1);
        CoderResult result = utf8.decode(bytes, chars, false);
        if (result.isError()) {
            throw new IllegalStateException("undecodable bytes: " + result);
        }
        byte[] rest = new byte[bytes.remaining()];
        bytes.get(rest);
        pending.reset();
        pending.writeBytes(rest);
        return chars.flip().toString();
    }

    /** Whatever is left at the end of the stream; an unfinished character becomes U+FFFD. */
    public String finish() {
        if (pending.size() == 0) {
            return "";
        }
        String rest = new String(pending.toByteArray(), StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }
}
