package dev.llmplatform.scheduler.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the scheduler follows the model registry, to tell a model that exists but has no worker ready (503 with
 * Retry-After) from one that does not exist (404).
 *
 * @param target        gRPC target of the registry; empty = not followed (then only the workers' reports count)
 * @param retryInterval how long to wait before asking again while the registry is not up
 * @param stateFile     where the registry's last known state is kept across restarts; none when unset
 */
@ConfigurationProperties("scheduler.registry")
public record RegistryFollowingProperties(
        @DefaultValue("static://127.0.0.1:9091") String target,
        @DefaultValue("2s") Duration retryInterval,
        Path stateFile) {
}
