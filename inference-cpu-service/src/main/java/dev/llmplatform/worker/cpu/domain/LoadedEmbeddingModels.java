package dev.llmplatform.worker.cpu.domain;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** The embedding models this worker has in memory, by the name clients use. Kept apart from the generation models. */
public final class LoadedEmbeddingModels implements AutoCloseable {

    /** A loaded embedding engine and what the registry said about it. */
    public record Entry(EmbeddingEngine engine, String variantId, String ownedBy, long createdEpochSeconds) {
    }

    private final ConcurrentMap<String, Entry> byId = new ConcurrentHashMap<>();

    public Optional<Entry> get(String modelId) {
        return Optional.ofNullable(byId.get(modelId));
    }

    /** Adds or replaces a model; the replaced entry is returned so the caller can close its engine. */
    public Optional<Entry> put(Entry entry) {
        return Optional.ofNullable(byId.put(entry.engine().modelId(), entry));
    }

    public Collection<Entry> all() {
        return List.copyOf(byId.values());
    }

    @Override
    public void close() {
        byId.values().forEach(e -> e.engine().close());
        byId.clear();
    }
}
