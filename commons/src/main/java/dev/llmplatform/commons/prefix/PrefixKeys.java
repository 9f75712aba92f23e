package dev.llmplatform.commons.prefix;

import java.util.List;

/**
 * Keys of a token sequence's prefixes, one per whole block of {@code blockTokens}: block k's key hashes blocks
 * 0..k together (FNV-1a with a shift), so two sequences share a key exactly when they share that whole prefix. The
 * workers report the keys of what their KV cache holds and the scheduler computes the same keys of a prompt, so
 * both must use this one function.
 */
public final class PrefixKeys {

    /** The block size both sides use unless configured otherwise. */
    public static final int DEFAULT_BLOCK_TOKENS = 16;

    private PrefixKeys() {
    }

    public static long[] of(List<Integer> tokens, int blockTokens) {
        int[] array = new int[tokens.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = tokens.get(i);
        }
        return of(array, array.length, blockTokens);
    }

    /** The keys of the first {@code count} tokens' whole blocks, shortest prefix first. */
    public static long[] of(int[] tokens, int count, int blockTokens) {
        if (blockTokens <= 0) {
            throw new IllegalArgumentException("block size must be positive");
        }
        long[] keys = new long[Math.min(count, tokens.length) / blockTokens];
        long hash = 0xcbf29ce484222325L;
        for (int block = 0; block < keys.length; block++) {
            for (int i = block * blockTokens, end = i + blockTokens; i < end; i++) {
                hash = (hash ^ tokens[i]) * 0x100000001b3L;
                hash ^= hash >>> 29;
            }
            keys[block] = hash;
        }
        return keys;
    }
}
