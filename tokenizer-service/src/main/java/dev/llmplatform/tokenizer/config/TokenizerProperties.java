package dev.llmplatform.tokenizer.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param registryTarget    gRPC target of the model registry, whose models' tokenizers this service loads
 * @param loadRetryInterval how long to wait before asking the registry again when it is not up yet
 * @param maxTextChars      longest text accepted in one call; longer is INVALID_ARGUMENT, not an out-of-memory
 */
@ConfigurationProperties("tokenizer")
public record TokenizerProperties(
        @DefaultValue("static://127.0.0.1:9091") String registryTarget,
        @DefaultValue("2s") Duration loadRetryInterval,
        @DefaultValue("1000000") int maxTextChars) {
}
