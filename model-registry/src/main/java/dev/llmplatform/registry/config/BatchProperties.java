package dev.llmplatform.registry.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits of the Files and Batch APIs (docs/batch.md); the defaults are OpenAI's.
 *
 * @param maxFileSize  a larger upload is refused (RESOURCE_EXHAUSTED; 413 at the gateway)
 * @param maxLineSize  a longer line is refused
 * @param maxLines     at most this many requests per file
 * @param artifactPrefix where in the artifact store file contents go
 */
@ConfigurationProperties("registry.batch")
public record BatchProperties(
        @DefaultValue("200MB") DataSize maxFileSize,
        @DefaultValue("1MB") DataSize maxLineSize,
        @DefaultValue("50000") int maxLines,
        @DefaultValue("batch-files/") String artifactPrefix) {
}
