package dev.llmplatform.registry.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param defaultModel the model registered at start when {@code seed} is on, so that a fresh laptop serves something
 */
@ConfigurationProperties("registry")
public record RegistryProperties(@DefaultValue DefaultModel defaultModel) {

    /**
     * @param seed     register (or refresh) this model at start
     * @param id       the name clients send as "model"
     * @param path     the GGUF file, relative to the working directory or absolute
     */
    public record DefaultModel(
            @DefaultValue("true") boolean seed,
            @DefaultValue("tiny-kjv-chat") String id,
            @DefaultValue("models/tiny-kjv-chat/tiny-kjv-chat.gguf") String path,
            @DefaultValue("llm-platform") String ownedBy,
            @DefaultValue("A small llama-architecture chat model trained by this project on the King James Bible.") String description,
            @DefaultValue("CC0-1.0 (weights); training corpus: King James Bible, public domain") String licence,
            @DefaultValue("cpu-f16") String variantId,
            @DefaultValue("F16") String quantization) {
    }
}
