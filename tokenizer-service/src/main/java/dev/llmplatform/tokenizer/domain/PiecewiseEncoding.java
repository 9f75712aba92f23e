package dev.llmplatform.tokenizer.domain;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Tokenizes a long text piece by piece, giving exactly the ids of tokenizing it whole.
 *
 * <p>llama.cpp splits a text at its special tokens into fragments, and every fragment holds a copy of the whole
 * text: a chat prompt with thousands of {@code <|im_start|>}/{@code <|im_end|>} markers costs the number of
 * markers times the length of the text, the square of the message count. Tokenizing pieces of a few thousand
 * characters keeps the cost linear. A piece ends only where the text splits cleanly: just after a line break,
 * where tokenizing a window around the cut whole gives the same ids as tokenizing its two halves (true at a
 * special token; false inside a word, or where a tokenizer would add a space prefix or strip whitespace).
 */
public final class PiecewiseEncoding {

    /** Characters in a piece before a cut is looked for. */
    static final int PIECE_CHARS = 4096;
    /** Characters each side of a cut tokenized to check it; longer than any special token. */
    static final int WINDOW_CHARS = 64;

    private PiecewiseEncoding() {
    }

    /**
     * @param encode tokenizes one piece (without adding BOS)
     * @param progress told the running token count after every piece
     */
    public static int[] encode(Function<String, int[]> encode, String text, Progress progress) {
        progress.check(0);
        if (text.length() <= 2 * PIECE_CHARS) {
            int[] ids = encode.apply(text);
            progress.check(ids.length);
            return ids;
        }
        int[] out = new int[Math.max(16, text.length() / 3)];
        int size = 0;
        int start = 0;
        while (start < text.length()) {
            int end = cutAfter(encode, text, start + PIECE_CHARS);
            int[] ids = encode.apply(text.substring(start, end));
            if (size + ids.length > out.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, size + ids.length));
            }
            System.arraycopy(ids, 0, out, size, ids.length);
            size += ids.length;
            progress.check(size);
            start = end;
        }
        return Arrays.copyOf(out, size);
    }

    /** The first clean cut at or after {@code from}; the end of the text when none is left before its last piece. */
    static int cutAfter(Function<String, int[]> encode, String text, int from) {
        int last = text.length() - PIECE_CHARS;
        for (int cut = from; cut < last; cut++) {
            if (text.charAt(cut - 1) == '\n' && !Character.isWhitespace(text.charAt(cut)) && splitsCleanly(encode, text, cut)) {
                return cut;
            }
        }
        return text.length();
    }

    private static boolean splitsCleanly(Function<String, int[]> encode, String text, int cut) {
        int from = cut - WINDOW_CHARS;
        if (Character.isLowSurrogate(text.charAt(from))) {
            from--;
        }
        int to = cut + WINDOW_CHARS;
        if (Character.isHighSurrogate(text.charAt(to - 1))) {
            to++;
        }
        int[] left = encode.apply(text.substring(from, cut));
        int[] right = encode.apply(text.substring(cut, to));
        int[] whole = encode.apply(text.substring(from, to));
        return whole.length == left.length + right.length
                && Arrays.equals(whole, 0, left.length, left, 0, left.length)
                && Arrays.equals(whole, left.length, whole.length, right, 0, right.length);
    }
}
