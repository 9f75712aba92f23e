package dev.llmplatform.worker.cpu.infra;

import static org.assertj.core.api.Assertions.assertThat;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import dev.llmplatform.worker.cpu.domain.GenerationOutcome;
import dev.llmplatform.worker.cpu.domain.GenerationRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The worker's engine on the default model. */
class LlamaCppEngineTest {

    private static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf"));

    private static LlamaCppEngine engine;
    private static int[] prompt;

    @BeforeAll
    static void load() {
        engine = new LlamaCppEngine("tiny-kjv-chat", GGUF, 2, 2, 256);
        try (var tokenizer = new LlamaModel(new ModelParameters().setModel(GGUF.toString()).setCtxSize(64))) {
            prompt = tokenizer.encode("And God said");
        }
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static GenerationRequest request(int maxTokens, float temperature, OptionalLong seed) {
        return new GenerationRequest("test", prompt, maxTokens, temperature, 1f, 0, seed, List.of(), 0f, 0f);
    }

    private static String generate(GenerationRequest request) {
        var text = new StringBuilder();
        engine.generate(request, (piece, tokens) -> text.append(piece), () -> false);
        return text.toString();
    }

    @Test
    void greedyDecodingIsDeterministic() {
        String first = generate(request(24, 0f, OptionalLong.empty()));

        assertThat(first).isNotBlank();
        assertThat(generate(request(24, 0f, OptionalLong.empty()))).isEqualTo(first);
    }

    @Test
    void aFixedSeedReproducesSampledText() {
        assertThat(generate(request(24, 1.0f, OptionalLong.of(42))))
                .isEqualTo(generate(request(24, 1.0f, OptionalLong.of(42))));
    }

    @Test
    void stopsAtMaxTokensAndSaysSo() {
        var tokens = new AtomicInteger();
        GenerationOutcome outcome = engine.generate(request(5, 0f, OptionalLong.empty()),
                (piece, count) -> tokens.addAndGet(count), () -> false);

        assertThat(outcome).isEqualTo(new GenerationOutcome.LengthReached(5));
        assertThat(tokens).hasValue(5);
    }

    @Test
    void stopsEarlyWhenTheCallerIsGone() {
        var tokens = new AtomicInteger();
        GenerationOutcome outcome = engine.generate(request(200, 0f, OptionalLong.empty()),
                (piece, count) -> tokens.addAndGet(count), () -> tokens.get() >= 3);

        assertThat(outcome).isInstanceOf(GenerationOutcome.Cancelled.class);
        assertThat(outcome.completionTokens()).isLessThan(200);
    }
}
