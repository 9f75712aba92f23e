package dev.llmplatform.worker.core.engine;

/**
 * The engine's sequence ids and what each free one still holds in the KV cache: the tokens of the last sequence
 * that ran on it. A new sequence takes the free id whose tokens share the longest prefix with its own; with nothing
 * shared, an empty id, else the least recently used one. Used by the decode loop only.
 */
final class PrefixSlots {

    /** A sequence id, and how many of its cached tokens the new sequence's tokens start with. */
    record Taken(int seqId, int cachedPrefix, int cachedTokens) {
    }

    private final int[][] cached;
    /** The prefix keys of each id's tokens, made when first asked for after they change (null until then). */
    private final long[][] keys;
    private int keysBlockTokens;
    private final boolean[] busy;
    private final long[] lastUsed;
    private long clock;

    PrefixSlots(int count) {
        cached = new int[count][];
        keys = new long[count][];
        busy = new boolean[count];
        lastUsed = new long[count];
        for (int id = 0; id < count; id++) {
            cached[id] = new int[0];
        }
    }

    boolean hasFree() {
        for (boolean b : busy) {
            if (!b) {
                return true;
            }
        }
        return false;
    }

    /** Takes a free id for a sequence starting with {@code tokens}; there must be one ({@link #hasFree()}). */
    Taken take(int[] tokens) {
        int best = -1;
        int bestPrefix = 0;
        int fallback = -1;
        for (int id = 0; id < cached.length; id++) {
            if (busy[id]) {
                continue;
            }
            int prefix = commonPrefix(cached[id], tokens);
            if (prefix > bestPrefix) {
                best = id;
                bestPrefix = prefix;
            }
            if (fallback < 0 || cached[id].length == 0 && cached[fallback].length > 0
                    || (cached[id].length == 0) == (cached[fallback].length == 0) && lastUsed[id] < lastUsed[fallback]) {
                fallback = id;
            }
        }
        if (fallback < 0) {
            throw new IllegalStateException("no free sequence id");
        }
        int id = best >= 0 ? best : fallback;
        busy[id] = true;
        lastUsed[id] = ++clock;
        return new Taken(id, bestPrefix, cached[id].length);
    }

    /** The sequence on {@code seqId} left, with {@code tokens} in its KV cells (empty when they were dropped). */
    void park(int seqId, int[] tokens) {
        cached[seqId] = tokens;
        keys[seqId] = null;
        busy[seqId] = false;
        lastUsed[seqId] = ++clock;
    }

    /** The tokens in {@code seqId}'s cells (or about to be, while it runs). */
    int[] tokens(int seqId) {
        return cached[seqId];
    }

    /** A running sequence's tokens on {@code seqId} (its prompt): in the cache, or about to be. */
    void holding(int seqId, int[] tokens) {
        cached[seqId] = tokens;
        keys[seqId] = null;
    }

    /**
     * The prefix keys of every id's tokens, running or parked. Asked for at each admission and finish: only the ids
     * whose tokens changed since are hashed again.
     */
    long[] prefixKeys(int blockTokens) {
        if (blockTokens != keysBlockTokens) {
            java.util.Arrays.fill(keys, null);
            keysBlockTokens = blockTokens;
        }
        java.util.LinkedHashSet<Long> all = new java.util.LinkedHashSet<>();
        for (int id = 0; id < cached.length; id++) {
            if (keys[id] == null) {
                keys[id] = dev.llmplatform.commons.prefix.PrefixKeys.of(cached[id], cached[id].length, blockTokens);
            }
            for (long key : keys[id]) {
                all.add(key);
            }
        }
        return all.stream().mapToLong(Long::longValue).toArray();
    }

    /** Tokens held in the cells of free ids: prefixes waiting to be reused. */
    long parkedTokens() {
        long tokens = 0;
        for (int id = 0; id < cached.length; id++) {
            tokens += busy[id] ? 0 : cached[id].length;
        }
        return tokens;
    }

    static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    @Override
    public String toString() {
        return String.valueOf(cached.length);
    }
}
