package dev.llmplatform.worker.core.domain;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** The models this worker has in memory, by the name clients use. A switch to a new version is one map write. */
public final class LoadedModels {

    /**
     * A loaded engine and what the registry said about it.
     *
     * @param createdEpochSeconds when the served version was registered (what /v1/models reports as "created")
     * @param version             the model version the engine runs (the production alias when it was loaded)
     * @param sha256              of the artifact file the engine was loaded from
     */
    public record Entry(GenerationEngine engine, String variantId, String ownedBy, long createdEpochSeconds,
                        String version, String sha256) {

        /** Whether this entry already serves that version's variant from that file. */
        public boolean serves(String otherVersion, String otherVariantId, String otherSha256) {
            return version.equals(otherVersion) && variantId.equals(otherVariantId) && sha256.equalsIgnoreCase(otherSha256);
        }
    }

    private final ConcurrentMap<String, Entry> byId = new ConcurrentHashMap<>();

    public Optional<Entry> get(String modelId) {
        return Optional.ofNullable(byId.get(modelId));
    }

    /** Adds or replaces a model; the replaced engine is returned so the caller can close it when idle. */
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
