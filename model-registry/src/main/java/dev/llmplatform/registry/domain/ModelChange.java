package dev.llmplatform.registry.domain;

/** One committed change, as the change log records it; {@code version} is empty when the change is about the model. */
public record ModelChange(long revision, String modelId, Kind kind, String version) {

    public enum Kind { REGISTERED, VERSION_REGISTERED, VARIANT_ADDED, STAGE_CHANGED, PROMOTED, DELETED, VARIANT_MEASURED }
}
