package dev.llmplatform.scheduler.discovery;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Discovery of local worker replicas ({@code ./platform scale}) from a directory of replica files.
 *
 * @param directory       the replica files' directory ({@code ./platform up} passes {@code .platform/replicas});
 *                        unset: no local discovery, only the statically configured workers
 * @param refreshInterval how often the directory is read again
 */
@ConfigurationProperties("scheduler.discovery.local")
public record LocalWorkerDiscoveryProperties(
        @DefaultValue("") String directory,
        @DefaultValue("500ms") Duration refreshInterval) {
}
