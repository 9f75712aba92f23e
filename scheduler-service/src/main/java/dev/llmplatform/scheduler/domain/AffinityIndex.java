package dev.llmplatform.scheduler.domain;

import dev.llmplatform.commons.prefix.PrefixKeys;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which worker likely still holds a prompt's KV cache. A prompt is cut into blocks of {@code blockTokens}; block
 * k's key hashes blocks 0..k together, so two prompts share a key exactly when they share that whole prefix. The
 * index remembers, per key and per session id, the worker the last such request went to (bounded, least
 * recently used first out). Placement turns a hit into cached prompt tokens, which the cost model does not count
 * as prefill work: the affinity is worth the prefill time it saves, weighed against the worker's queue.
 */
public final class AffinityIndex {

    private record SessionEntry(String workerId, int promptTokens) {
    }

    private final int blockTokens;
    private final Map<Long, String> prefixOwners;
    private final Map<String, SessionEntry> sessions;

    public AffinityIndex(int blockTokens, int maxEntries) {
        if (blockTokens <= 0 || maxEntries <= 0) {
            throw new IllegalArgumentException("block size and capacity must be positive");
        }
        this.blockTokens = blockTokens;
        this.prefixOwners = lru(maxEntries);
        this.sessions = lru(maxEntries);
    }

    /** The keys of the prompt's whole blocks, shortest prefix first. */
    public long[] prefixKeys(List<Integer> prompt) {
        return PrefixKeys.of(prompt, blockTokens);
    }

    public int blockTokens() {
        return blockTokens;
    }

    /** Per worker, how many leading prompt tokens it likely holds: its longest remembered prefix or its session. */
    public synchronized Map<String, Integer> cachedTokens(long[] prefixKeys, String sessionId, int promptTokens) {
        Map<String, Integer> cached = new HashMap<>();
        for (int block = 0; block < prefixKeys.length; block++) {
            String owner = prefixOwners.get(prefixKeys[block]);
            if (owner != null) {
                cached.put(owner, (block + 1) * blockTokens);
            }
        }
        if (sessionId != null && !sessionId.isBlank()) {
            SessionEntry session = sessions.get(sessionId);
            if (session != null) {
                cached.merge(session.workerId(), Math.min(session.promptTokens(), promptTokens), Math::max);
            }
        }
        return cached;
    }

    /** The request went to {@code workerId}: its prefixes and session now live there. */
    public synchronized void record(long[] prefixKeys, String sessionId, int promptTokens, String workerId) {
        for (long key : prefixKeys) {
            prefixOwners.put(key, workerId);
        }
        if (sessionId != null && !sessionId.isBlank()) {
            sessions.put(sessionId, new SessionEntry(workerId, promptTokens));
        }
    }

    private static <K, V> Map<K, V> lru(int maxEntries) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > maxEntries;
            }
        };
    }
}
