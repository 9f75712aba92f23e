package dev.llmplatform.worker.cpu.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.ModelArtifact;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EmbeddingModelLoaderTest {

    @Test
    void theTokenizerIsTheRegistrysTokenizerUriWhenItHasOne() {
        var artifact = ModelArtifact.newBuilder().setUri("s3://models/minilm/1/model.onnx")
                .setTokenizerUri("https://files.example/minilm/tokenizer.json").build();

        assertThat(EmbeddingModelLoader.tokenizerUri(artifact)).isEqualTo("https://files.example/minilm/tokenizer.json");
    }

    @Test
    void otherwiseTheTokenizerJsonBesideTheModelLocalOrRemote() {
        assertThat(EmbeddingModelLoader.tokenizerUri(ModelArtifact.newBuilder().setUri("s3://models/minilm/1/model.onnx").build()))
                .isEqualTo("s3://models/minilm/1/tokenizer.json");
        assertThat(Path.of(URI.create(EmbeddingModelLoader.tokenizerUri(
                ModelArtifact.newBuilder().setUri("file:///srv/models/minilm/model.onnx").build()))))
                .isEqualTo(Path.of("/srv/models/minilm/tokenizer.json"));
    }
}
