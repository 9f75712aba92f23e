package dev.llmplatform.worker.core.engine;

import java.util.Arrays;

/** A growable list of token ids without boxing. */
final class TokenList {

    private int[] tokens = new int[64];
    private int size;

    void add(int token) {
        if (size == tokens.length) {
            tokens = Arrays.copyOf(tokens, size * 2);
        }
        tokens[size++] = token;
    }

    /** The first {@code count} of {@code source}. */
    void addAll(int[] source, int count) {
        for (int i = 0; i < count; i++) {
            add(source[i]);
        }
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
    }

    int[] toArray() {
        return Arrays.copyOf(tokens, size);
    }
}
