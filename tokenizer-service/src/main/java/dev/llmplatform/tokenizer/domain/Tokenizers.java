package dev.llmplatform.tokenizer.domain;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.springframework.stereotype.Component;

/** The loaded tokenizers, by model name. */
@Component
public class Tokenizers implements AutoCloseable {

    private static final java.time.Duration RETIRE_GRACE = java.time.Duration.ofSeconds(30);

    private final ConcurrentMap<String, ModelTokenizer> byModel = new ConcurrentHashMap<>();

    public Optional<ModelTokenizer> get(String modelId) {
        return Optional.ofNullable(byModel.get(modelId));
    }

    /**
     * Adds or replaces a model's tokenizer. A replaced one is closed only after a grace period: calls that looked
     * it up just before the switch (each takes milliseconds) must not find it closed under them.
     */
    public void put(ModelTokenizer tokenizer) {
        ModelTokenizer old = byModel.put(tokenizer.modelId(), tokenizer);
        if (old != null) {
            closeLater(old);
        }
    }

    /** Drops a model's tokenizer (the model is no longer served), closing it after the same grace period. */
    public void remove(String modelId) {
        ModelTokenizer old = byModel.remove(modelId);
        if (old != null) {
            closeLater(old);
        }
    }

    private static void closeLater(ModelTokenizer tokenizer) {
        Thread.ofVirtual().name("tokenizer-retire").start(() -> {
            try {
                Thread.sleep(RETIRE_GRACE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            tokenizer.close();
        });
    }

    public java.util.Set<String> models() {
        return java.util.Set.copyOf(byModel.keySet());
    }

    public boolean isEmpty() {
        return byModel.isEmpty();
    }

    @Override
    public void close() {
        byModel.values().forEach(ModelTokenizer::close);
        byModel.clear();
    }
}
