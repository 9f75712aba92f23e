package dev.llmplatform.commons.artifacts;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/** The cache's counters as meters: {@code artifact_cache_hits_total}, {@code _misses_total}, {@code _fetched_bytes_total}, {@code _refused_total}. */
public final class ArtifactCacheMetrics {

    private ArtifactCacheMetrics() {
    }

    public static ArtifactCache bind(ArtifactCache cache, MeterRegistry meters) {
        FunctionCounter.builder("artifact.cache.hits", cache, c -> c.stats().hits())
                .description("Artifact fetches answered from the local cache").register(meters);
        FunctionCounter.builder("artifact.cache.misses", cache, c -> c.stats().misses())
                .description("Artifact fetches that downloaded from S3 or HTTPS").register(meters);
        FunctionCounter.builder("artifact.cache.fetched", cache, c -> c.stats().bytesFetched()).baseUnit("bytes")
                .description("Bytes downloaded into the artifact cache").register(meters);
        FunctionCounter.builder("artifact.cache.refused", cache, c -> c.stats().refused())
                .description("Artifacts refused because their SHA-256 differs from the registry's").register(meters);
        return cache;
    }
}
