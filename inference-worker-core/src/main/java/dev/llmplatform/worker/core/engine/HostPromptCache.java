package dev.llmplatform.worker.core.engine;

import dev.llmplatform.commons.prefix.PrefixKeys;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Sequences' KV cells kept in host memory after their sequence id was taken by another prompt, as llama-server's
 * prompt cache (--cache-ram) keeps them: a prompt that comes back (the next turn of a chat, a retried or repeated
 * request, a shared system prompt) starts from its longest cached prefix even when the engine's few sequence ids
 * have since held other prompts. Bounded in bytes and in entries, least recently used first out. Used by the decode
 * loop only.
 */
final class HostPromptCache {

    /** Fewer tokens than this are not worth a copy: their prefill costs about what the copy does. */
    static final int MIN_TOKENS = 16;
    /** Bounds the scan each admission makes over the entries, whatever their size. */
    static final int MAX_ENTRIES = 1024;

    /** How many of the most recently used entries the worker's load report names (it goes out several times a second). */
    static final int REPORTED_ENTRIES = 64;

    /** One sequence's tokens, the copy of their KV cells, and the keys of their prefixes (as {@link PrefixKeys}). */
    record Entry(int[] tokens, MemorySegment cells, Arena arena, long[] prefixKeys) {
    }

    /** The entry sharing the longest prefix with a prompt, and how long that prefix is. */
    record Match(Entry entry, int prefix) {
    }

    private final long budgetBytes;
    /** Least recently used first. */
    private final List<Entry> entries = new ArrayList<>();
    private long bytes;

    /** @param budgetBytes the most the copies may take together; 0 keeps nothing */
    HostPromptCache(long budgetBytes) {
        this.budgetBytes = Math.max(0, budgetBytes);
    }

    boolean enabled() {
        return budgetBytes > 0;
    }

    /**
     * Keeps a copy of {@code tokens}' cells, made by {@code copy} into the arena it is given, unless an entry already
     * holds them (or more after them). Entries whose tokens are a prefix of these go: the new copy holds theirs.
     */
    void keep(int[] tokens, Function<Arena, Optional<MemorySegment>> copy) {
        if (!enabled() || tokens.length < MIN_TOKENS) {
            return;
        }
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            int shared = PrefixSlots.commonPrefix(e.tokens, tokens);
            if (shared == tokens.length) {
                touch(e);
                return;
            }
            if (shared == e.tokens.length) {
                it.remove();
                free(e);
            }
        }
        Arena arena = Arena.ofShared();
        Optional<MemorySegment> cells = copy.apply(arena);
        if (cells.isEmpty() || cells.get().byteSize() > budgetBytes) {
            arena.close();
            return;
        }
        entries.add(new Entry(tokens.clone(), cells.get(), arena,
                PrefixKeys.of(tokens, tokens.length, PrefixKeys.DEFAULT_BLOCK_TOKENS)));
        bytes += cells.get().byteSize();
        while (bytes > budgetBytes || entries.size() > MAX_ENTRIES) {
            free(entries.removeFirst());
        }
    }

    /** The entry that shares the longest prefix with {@code prompt}, if any shares {@value #MIN_TOKENS} tokens or more. */
    Optional<Match> longestPrefix(int[] prompt) {
        Entry best = null;
        int bestPrefix = MIN_TOKENS - 1;
        for (Entry e : entries) {
            int shared = PrefixSlots.commonPrefix(e.tokens, prompt);
            if (shared > bestPrefix) {
                best = e;
                bestPrefix = shared;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        touch(best);
        return Optional.of(new Match(best, bestPrefix));
    }

    /** The prefix keys of the {@value #REPORTED_ENTRIES} most recently used entries, most recent first. */
    long[] prefixKeys() {
        var keys = new java.util.LinkedHashSet<Long>();
        for (int i = entries.size() - 1; i >= Math.max(0, entries.size() - REPORTED_ENTRIES); i--) {
            for (long key : entries.get(i).prefixKeys()) {
                keys.add(key);
            }
        }
        return keys.stream().mapToLong(Long::longValue).toArray();
    }

    long bytes() {
        return bytes;
    }

    int size() {
        return entries.size();
    }

    /** Frees every copy (the engine is stopping). */
    void clear() {
        entries.forEach(this::free);
        entries.clear();
        bytes = 0;
    }

    private void touch(Entry e) {
        entries.remove(e);
        entries.add(e);
    }

    private void free(Entry e) {
        bytes -= e.cells.byteSize();
        e.arena.close();
    }
}
