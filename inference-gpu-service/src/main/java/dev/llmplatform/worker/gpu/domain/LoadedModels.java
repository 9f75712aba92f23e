package dev.llmplatform.worker.gpu.domain;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** The models this worker has in (GPU) memory, by the name clients use. */
public final class LoadedModels {

    /** A loaded engine and what the registry said about it. */
    public record Entry(GenerationEngine engine, String variantId, String ownedBy, long createdEpochSeconds) {
    }

    private final ConcurrentMap<String, Entry> byId = new ConcurrentHashMap<>();

    public Optional<Entry> get(String modelId) {
        return Optional.ofNullable(byId.get(modelId));
    }

    /** Adds or replaces a model; the replaced entry is returned so the caller can close its engine. */
    public Optional<Entry> put(Entry entry) {
        return Optional.ofNullable(byId.put(entry.engine().modelId(), entry));
    }

    public Optional<Entry> remove(String modelId) {
        return Optional.ofNullable(byId.remove(modelId));
    }

    public Collection<Entry> all() {
        return List.copyOf(byId.values());
    }

    public boolean isEmpty() {
        return byId.isEmpty();
    }

    public void close() {
        byId.values().forEach(e -> e.engine().close());
        byId.clear();
    }
}
