package dev.llmplatform.gateway.domain;

/** A model that at least one ready worker serves now. */
public record ServedModel(String id, String ownedBy, long createdEpochSeconds) {
}
