package dev.llmplatform.worker.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.worker.core.domain.GenerationEngine;
import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.domain.TokenLogprob;
import dev.llmplatform.worker.core.infra.CpuBuild;
import dev.llmplatform.worker.core.llama.LlamaContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's multiplicative repetition penalty (vLLM's repetition_penalty) on the real tiny model, under greedy
 * decoding, so that every difference is the penalty's. The prompt is one the model answers, greedily, with a loop
 * ("I will not be with thee, and I will not be with thee, ...").
 */
class RepetitionPenaltyTest {

    private static final String LOOPING = "and the LORD said unto Moses, and the LORD said unto Moses, and the LORD said unto";
    private static final int TOKENS = 64;

    private static ContinuousBatchingEngine engine;
    private static int[] prompt;

    @BeforeAll
    static void load() {
        var context = new LlamaContext(CpuBuild.library(), CpuBuild.GGUF, new LlamaContext.Settings(0, 2, 256, 64, 1));
        engine = new ContinuousBatchingEngine("tiny-kjv-chat", context, 2, 64, (sequences, prefill, decode, nanos) -> { });
        prompt = context.tokenize(LOOPING);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private record Generated(String text, List<Integer> tokens) {

        /** How many generated tokens had been generated before: what the penalty counts against. */
        int repeats() {
            Set<Integer> seen = new HashSet<>();
            return (int) tokens.stream().filter(token -> !seen.add(token)).count();
        }
    }

    private static Generated generate(GenerationRequest request) throws Exception {
        var text = new StringBuffer();
        List<Integer> tokens = new ArrayList<>();
        engine.submit(request, new GenerationEngine.TextSink() {
            @Override
            public void accept(String piece, int token) {
                accept(piece, token, null);
            }

            @Override
            public void accept(String piece, int token, TokenLogprob logprob) {
                text.append(piece);
                tokens.add(token);
            }
        }, () -> false).get(60, TimeUnit.SECONDS);
        return new Generated(text.toString(), tokens);
    }

    private static GenerationRequest greedy(String id, float repetitionPenalty) {
        return GenerationRequest.greedy(id, prompt, TOKENS).withRepetitionPenalty(repetitionPenalty);
    }

    @Test
    void aPenaltyAboveOneBreaksTheGreedyLoop() throws Exception {
        Generated free = generate(greedy("free", 1.0f));
        Generated penalized = generate(greedy("penalized", 1.5f));

        assertThat(free.repeats()).as("repeats without the penalty in '%s'", free.text()).isGreaterThan(TOKENS / 2);
        assertThat(penalized.tokens()).isNotEqualTo(free.tokens());
        assertThat(penalized.repeats()).as("repeats with 1.5 in '%s'", penalized.text()).isLessThan(free.repeats() / 2);
        assertThat(penalized.text()).doesNotContain("I will not be with thee, and I will not be with thee");
    }

    @Test
    void aPenaltyOfOneChangesNothing() throws Exception {
        assertThat(generate(greedy("one", 1.0f)).tokens())
                .isEqualTo(generate(GenerationRequest.greedy("default", prompt, TOKENS)).tokens());
    }

    @Test
    void greedyDecodingWithThePenaltyIsReproducible() throws Exception {
        assertThat(generate(greedy("first", 1.3f)).tokens()).isEqualTo(generate(greedy("second", 1.3f)).tokens());
    }

    @Test
    void aPenalizedGenerationResumedElsewhereCountsTheTokensItResumesFrom() throws Exception {
        Generated whole = generate(greedy("whole", 1.5f));
        int cut = 20;
        int[] before = whole.tokens().subList(0, cut).stream().mapToInt(Integer::intValue).toArray();

        Generated rest = generate(greedy("rest", 1.5f).resumedAfter(before));

        assertThat(rest.tokens()).isEqualTo(whole.tokens().subList(cut, whole.tokens().size()));
    }

    @Test
    void theFrequencyPenaltyAppliesToGreedyDecodingToo() throws Exception {
        var frequency = new GenerationRequest("frequency", prompt, TOKENS, 0f, 1f, 0, OptionalLong.empty(), List.of(), 1.0f, 0f);

        assertThat(generate(frequency).repeats()).isLessThan(generate(greedy("free", 1.0f)).repeats() / 2);
    }

    @Test
    void aPenaltyOfZeroOrLessIsNotARequest() {
        assertThatThrownBy(() -> greedy("zero", 0f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("repetition_penalty");
        assertThatThrownBy(() -> greedy("negative", -1f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> greedy("nan", Float.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
