package dev.llmplatform.registry.domain;

import java.time.Instant;
import java.util.List;

/** A model as the registry holds it, with the artifacts that serve it on each kind of hardware. */
public record RegisteredModel(
        String id,
        String ownedBy,
        String description,
        String licence,
        int contextLength,
        String chatTemplate,
        Instant createdAt,
        List<Artifact> artifacts) {

    public RegisteredModel {
        artifacts = List.copyOf(artifacts);
    }

    public RegisteredModel withArtifacts(List<Artifact> newArtifacts) {
        return new RegisteredModel(id, ownedBy, description, licence, contextLength, chatTemplate, createdAt, newArtifacts);
    }

    /** One file serving the model on one device class. */
    public record Artifact(
            String variantId,
            String format,
            String quantization,
            DeviceClass deviceClass,
            String uri,
            String sha256,
            long sizeBytes) {
    }

    public enum DeviceClass { CPU, GPU }
}
