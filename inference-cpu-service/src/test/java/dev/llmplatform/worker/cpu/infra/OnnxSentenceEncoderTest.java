package dev.llmplatform.worker.cpu.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.llmplatform.worker.cpu.domain.EmbeddingOutcome;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** all-MiniLM-L6-v2 (models/all-minilm-l6-v2) on ONNX Runtime, as the worker runs it. */
class OnnxSentenceEncoderTest {

    static final Path MODEL_DIR = Path.of("../models/all-minilm-l6-v2");

    private static OnnxSentenceEncoder encoder;

    @BeforeAll
    static void load() {
        encoder = new OnnxSentenceEncoder("all-minilm-l6-v2", MODEL_DIR.resolve("model.onnx"),
                MODEL_DIR.resolve("tokenizer.json"), 256, 1, 2);
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    static List<float[]> embed(List<String> inputs) {
        return ((EmbeddingOutcome.Embedded) encoder.embed(inputs)).vectors();
    }

    static float[] embed(String input) {
        return embed(List.of(input)).getFirst();
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static double norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x * x;
        }
        return Math.sqrt(sum);
    }

    @Test
    void everyVectorHas384UnitLengthDimensions() {
        assertThat(encoder.dimensions()).isEqualTo(384);
        for (float[] v : embed(List.of("The cat sits on the mat.", "Quarterly revenue grew by 4 percent."))) {
            assertThat(v).hasSize(384);
            assertThat(norm(v)).isCloseTo(1.0, within(1e-5));
        }
    }

    @Test
    void relatedSentencesAreCloserThanUnrelatedOnes() {
        float[] cat = embed("A cat is sleeping on the sofa.");
        float[] kitten = embed("A kitten naps on the couch.");
        float[] stocks = embed("The central bank raised interest rates again.");
        float[] inflation = embed("Inflation pushed the bank to raise its rates.");

        assertThat(cosine(cat, kitten)).isGreaterThan(cosine(cat, stocks) + 0.3);
        assertThat(cosine(stocks, inflation)).isGreaterThan(cosine(stocks, kitten) + 0.3);
    }

    @Test
    void aRequestOfManyInputsGivesExactlyTheVectorsOfEachInputAlone() {
        List<String> inputs = List.of("short", "a somewhat longer sentence about the weather in spring",
                "hello world", "Embeddings map text to vectors so that similar meanings lie close together.");

        List<float[]> together = embed(inputs);

        for (int i = 0; i < inputs.size(); i++) {
            assertThat(together.get(i)).as("input %d", i).isEqualTo(embed(inputs.get(i)));
        }
    }

    /**
     * Why the worker runs one sequence per forward pass by default: the quantized graph quantizes activations with
     * one scale per tensor, so sequences that share a pass shift each other's vectors (measured: cosine 0.98-0.99).
     */
    @Test
    void paddedBatchesOfTheQuantizedModelDriftFromTheVectorsOfEachInputAlone() {
        List<String> inputs = List.of("red apple", "blue sky", "a much longer sentence that forces padding onto the others");
        var batched = new OnnxSentenceEncoder("all-minilm-l6-v2", MODEL_DIR.resolve("model.onnx"),
                MODEL_DIR.resolve("tokenizer.json"), 256, 8, 2);
        try {
            List<float[]> together = ((EmbeddingOutcome.Embedded) batched.embed(inputs)).vectors();
            for (int i = 0; i < inputs.size(); i++) {
                double similarity = cosine(together.get(i), embed(inputs.get(i)));
                assertThat(similarity).as("input %d", i).isGreaterThan(0.95).isLessThan(0.99999);
            }
        } finally {
            batched.close();
        }
    }

    @Test
    void vectorsMatchLangchain4jsEmbeddingOfTheSameModel() {
        var reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
        for (String text : List.of("Hello, world!", "Spring Boot serves gRPC and HTTP from one process.")) {
            float[] theirs = reference.embed(text).content().vector();
            assertThat(cosine(embed(text), theirs)).as(text).isGreaterThan(0.9999);
        }
    }

    @Test
    void promptTokensAreTheModelsWordPiecesIncludingClsAndSep() {
        var reference = new AllMiniLmL6V2QuantizedEmbeddingModel(); // counts with [CLS] and [SEP]
        List<String> inputs = List.of("hello world", "unbelievable", "qwertyuiop zxcvb");

        var outcome = (EmbeddingOutcome.Embedded) encoder.embed(inputs);

        assertThat(reference.estimateTokenCount("hello world")).isEqualTo(4); // [CLS] hello world [SEP]
        assertThat(outcome.promptTokens()).isEqualTo(inputs.stream().mapToInt(reference::estimateTokenCount).sum());
    }

    @Test
    void inputsAreNotTruncatedAt128TokensAsTokenizerJsonWouldDo() {
        String words = "alpha beta gamma delta ".repeat(50); // 200 words + 2 special tokens
        String prefix = "alpha beta gamma delta ".repeat(31) + "alpha beta";

        assertThat(cosine(embed(words), embed(prefix))).isLessThan(0.99999);
        assertThat(((EmbeddingOutcome.Embedded) encoder.embed(List.of(words))).promptTokens()).isEqualTo(202);
    }

    @Test
    void anInputOverTheLimitIsRefusedWithItsIndexAndTokenCount() {
        String tooLong = "word ".repeat(300);

        assertThat(encoder.embed(List.of("fine", tooLong)))
                .isEqualTo(new EmbeddingOutcome.InputTooLong(1, 302, 256));
        assertThat(encoder.embed(List.of("word ".repeat(254)))).isInstanceOf(EmbeddingOutcome.Embedded.class);
    }
}
