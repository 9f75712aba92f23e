package dev.llmplatform.registry.infra.quantize;

import dev.llmplatform.registry.config.RegistryProperties;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The held-out text a model's variants are measured on: the operator's file for the model (registry.quantizer.texts;
 * for the default model, KJV-style text outside its training corpus), else the registry's default English text.
 */
public class EvaluationTexts {

    static final String DEFAULT_RESOURCE = "evaluation/default.txt";

    /**
     * @param name        what the text is, recorded with the measurements
     * @param chunkTokens tokens per perplexity chunk; 0 for registry.quantizer.chunk-tokens
     */
    public record Text(String name, String content, int chunkTokens) {
    }

    private final List<RegistryProperties.EvaluationText> texts;

    public EvaluationTexts(List<RegistryProperties.EvaluationText> texts) {
        this.texts = List.copyOf(texts);
    }

    public Text forModel(String modelId) throws IOException {
        for (var text : texts) {
            if (text.model().equals(modelId)) {
                Path file = Path.of(text.path());
                return new Text(file.getFileName().toString(), Files.readString(file), text.chunkTokens());
            }
        }
        try (InputStream in = EvaluationTexts.class.getClassLoader().getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IOException("the registry's default evaluation text " + DEFAULT_RESOURCE + " is missing");
            }
            return new Text("registry default text", new String(in.readAllBytes(), StandardCharsets.UTF_8), 0);
        }
    }
}
