package dev.llmplatform.tokenizer.domain;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.springframework.stereotype.Component;

/** The loaded tokenizers, by model name. */
@Component
public class Tokenizers implements AutoCloseable {

    private final ConcurrentMap<String, ModelTokenizer> byModel = new ConcurrentHashMap<>();

    public Optional<ModelTokenizer> get(String modelId) {
        return Optional.ofNullable(byModel.get(modelId));
    }

    public void put(ModelTokenizer tokenizer) {
        ModelTokenizer old = byModel.put(tokenizer.modelId(), tokenizer);
        if (old != null) {
            old.close();
        }
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
