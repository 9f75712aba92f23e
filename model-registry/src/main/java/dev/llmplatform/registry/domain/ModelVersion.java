package dev.llmplatform.registry.domain;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** One version of a model, where it stands in its lifecycle, and the artifacts that serve it. */
public record ModelVersion(
        String modelId,
        String version,
        Stage stage,
        String description,
        Instant createdAt,
        Instant stageChangedAt,
        List<Variant> variants) {

    public ModelVersion {
        variants = List.copyOf(variants);
    }

    public Optional<Variant> variant(String variantId) {
        return variants.stream().filter(v -> v.variantId().equals(variantId)).findFirst();
    }
}
