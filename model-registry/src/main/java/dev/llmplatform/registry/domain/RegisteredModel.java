package dev.llmplatform.registry.domain;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A model as the registry holds it: its versions, each with a lifecycle stage and its hardware variants, and the
 * "production" alias naming the version that workers serve.
 */
public record RegisteredModel(
        String id,
        String ownedBy,
        String description,
        Task task,
        Instant createdAt,
        Optional<String> productionVersion,
        List<ModelVersion> versions) {

    public RegisteredModel {
        versions = List.copyOf(versions);
    }

    public Optional<ModelVersion> version(String name) {
        return versions.stream().filter(v -> v.version().equals(name)).findFirst();
    }

    public Optional<ModelVersion> production() {
        return productionVersion.flatMap(this::version);
    }

    /** The variants the production alias points at, CPU first (the one to read single values from). */
    public List<Variant> productionVariants() {
        return production().map(v -> v.variants().stream()
                .sorted(Comparator.comparing(Variant::deviceClass).thenComparing(Variant::variantId)).toList())
                .orElse(List.of());
    }
}
