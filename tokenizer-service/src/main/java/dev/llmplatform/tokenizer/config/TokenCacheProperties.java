package dev.llmplatform.tokenizer.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param maxWeight          bound of the cache, in characters of cached input plus token ids (about 4 bytes each
 *                           on the heap), so that a few huge prompts cannot crowd out the heap
 * @param expireAfterAccess  an entry unused this long is dropped
 */
@ConfigurationProperties("tokenizer.cache")
public record TokenCacheProperties(
        @DefaultValue("8000000") long maxWeight,
        @DefaultValue("10m") Duration expireAfterAccess) {
}
