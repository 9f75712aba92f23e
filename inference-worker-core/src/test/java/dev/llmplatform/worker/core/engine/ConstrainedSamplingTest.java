package dev.llmplatform.worker.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.worker.core.domain.GenerationEngine;
import dev.llmplatform.worker.core.domain.GenerationOutcome;
import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.domain.GenerationRequest.Constraints;
import dev.llmplatform.worker.core.domain.TokenLogprob;
import dev.llmplatform.worker.core.infra.CpuBuild;
import dev.llmplatform.worker.core.llama.LlamaContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What narrows each token beyond temperature and top-p (grammar, logit bias, min-p), and the logprobs reported. */
class ConstrainedSamplingTest {

    private static ContinuousBatchingEngine engine;
    private static LlamaContext context;
    private static int[] chat;

    @BeforeAll
    static void load() {
        context = new LlamaContext(CpuBuild.library(), CpuBuild.GGUF, new LlamaContext.Settings(0, 4, 256, 64, 1));
        engine = new ContinuousBatchingEngine("tiny-kjv-chat", context, 4, 64, (sequences, prefill, decode, nanos) -> { });
        chat = context.tokenize(ContinuousBatchingEngineTest.CHAT);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private record Generated(String text, List<Integer> tokens, List<TokenLogprob> logprobs, GenerationOutcome outcome) {
    }

    private static Generated generate(GenerationRequest request) throws Exception {
        var text = new StringBuffer();
        List<Integer> tokens = new ArrayList<>();
        List<TokenLogprob> logprobs = new ArrayList<>();
        var outcome = engine.submit(request, new GenerationEngine.TextSink() {
            @Override
            public void accept(String piece, int token) {
                accept(piece, token, null);
            }

            @Override
            public void accept(String piece, int token, TokenLogprob logprob) {
                text.append(piece);
                tokens.add(token);
                if (logprob != null) {
                    logprobs.add(logprob);
                }
            }
        }, () -> false).get(60, TimeUnit.SECONDS);
        return new Generated(text.toString(), tokens, logprobs, outcome);
    }

    private static GenerationRequest sampled(String id, long seed, float temperature, int maxTokens) {
        return new GenerationRequest(id, chat, maxTokens, temperature, 0.95f, 40, OptionalLong.of(seed), List.of(), 0f, 0f);
    }

    @Test
    void aGrammarDecidesTheOutputWhateverTheModelPrefers() throws Exception {
        String grammar = "root ::= (\"yes\" | \"no\") \" \" [0-9]{2}";
        for (int seed = 0; seed < 8; seed++) {
            var request = sampled("grammar-" + seed, seed, 1.2f, 40).with(new Constraints(0f, Map.of(), grammar), -1);

            Generated generated = generate(request);

            assertThat(generated.text()).matches("(yes|no) [0-9]{2}");
            assertThat(generated.outcome()).as("the grammar is complete, so only end of generation is left")
                    .isInstanceOf(GenerationOutcome.Stopped.class);
        }
    }

    @Test
    void aGreedyJsonGrammarGivesJson() throws Exception {
        String grammar = """
                root ::= "{" ws "\\"verse\\":" ws string ws "}"
                string ::= "\\"" [A-Za-z ,.:;]{1,40} "\\""
                ws ::= [ ]?
                """;
        var request = GenerationRequest.greedy("json", chat, 80).with(new Constraints(0f, Map.of(), grammar), -1);

        assertThat(generate(request).text()).matches("\\{ ?\"verse\": ?\"[A-Za-z ,.:;]{1,40}\" ?}");
    }

    @Test
    void aGrammarThatIsCompleteStillEndsAnAnswerThatIgnoresTheEndOfGeneration() throws Exception {
        String grammar = "root ::= (\"yes\" | \"no\")";
        var request = GenerationRequest.greedy("grammar-ignores-end", chat, 40).with(new Constraints(0f, Map.of(), grammar, true), -1);

        Generated generated = generate(request);

        assertThat(generated.text()).isIn("yes", "no");
        assertThat(generated.outcome()).as("the grammar allows nothing after its end but the end of generation")
                .isInstanceOf(GenerationOutcome.Stopped.class);
        assertThat(generate(GenerationRequest.greedy("after", chat, 4)).tokens()).as("the engine goes on").hasSize(4);
    }

    @Test
    void aGrammarThatDoesNotParseIsRefusedWhenSubmitted() {
        var request = GenerationRequest.greedy("bad-grammar", chat, 8).with(new Constraints(0f, Map.of(), "root ::= ( \"unclosed\""), -1);

        assertThatThrownBy(() -> engine.submit(request, (text, token) -> { }, () -> false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grammar");
    }

    @Test
    void aBiasOutsideTheVocabularyIsRefusedWhenSubmitted() {
        var request = GenerationRequest.greedy("bad-bias", chat, 8)
                .with(new Constraints(0f, Map.of(context.vocabularySize(), 5f), ""), -1);

        assertThatThrownBy(() -> engine.submit(request, (text, token) -> { }, () -> false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logit_bias");
    }

    @Test
    void aBannedTokenNeverComesAndAForcedOneAlwaysDoes() throws Exception {
        Generated free = generate(GenerationRequest.greedy("free", chat, 6));
        int first = free.tokens().getFirst();

        Generated banned = generate(GenerationRequest.greedy("banned", chat, 6).with(new Constraints(0f, Map.of(first, -100f), ""), -1));
        int forcedToken = context.tokenize("Amen")[1];
        Generated forced = generate(GenerationRequest.greedy("forced", chat, 3).with(new Constraints(0f, Map.of(forcedToken, 100f), ""), -1));

        assertThat(banned.tokens()).doesNotContain(first);
        assertThat(forced.tokens()).containsOnly(forcedToken);
    }

    @Test
    void ignoringTheEndOfGenerationRunsAnAnswerToItsMaxTokens() throws Exception {
        Generated ended = generate(GenerationRequest.greedy("ends", chat, 200));
        assertThat(ended.outcome()).as("the model ends this answer of itself").isInstanceOf(GenerationOutcome.Stopped.class);
        int natural = ended.outcome().completionTokens();

        int asked = natural + 40;
        Generated ignored = generate(GenerationRequest.greedy("ignores", chat, asked).with(new Constraints(0f, Map.of(), "", true), -1));

        assertThat(ignored.outcome()).isEqualTo(new GenerationOutcome.LengthReached(asked));
        assertThat(ignored.tokens()).hasSize(asked).noneMatch(context::isEndOfGeneration);
        assertThat(ignored.tokens().subList(0, natural - 1)).as("greedy: the same answer up to where it ended")
                .isEqualTo(ended.tokens().subList(0, natural - 1));
        assertThat(context.endOfGenerationTokens()).contains(context.endOfSequence());
    }

    @Test
    void greedyLogprobsNameTheChosenTokenAsTheLikeliest() throws Exception {
        Generated generated = generate(GenerationRequest.greedy("logprobs", chat, 12).with(Constraints.NONE, 3));

        assertThat(generated.logprobs()).hasSize(generated.tokens().size());
        for (TokenLogprob logprob : generated.logprobs()) {
            assertThat(logprob.logprob()).isLessThanOrEqualTo(0f);
            assertThat(logprob.top()).hasSize(3);
            assertThat(logprob.top().getFirst().token()).isEqualTo(logprob.token());
            assertThat(logprob.top().getFirst().logprob()).isEqualTo(logprob.logprob());
            assertThat(logprob.top().get(1).logprob()).isLessThanOrEqualTo(logprob.top().getFirst().logprob());
            assertThat(logprob.top().get(2).logprob()).isLessThanOrEqualTo(logprob.top().get(1).logprob());
        }
        String fromLogprobs = generated.logprobs().stream()
                .map(l -> new String(l.token(), StandardCharsets.UTF_8)).reduce("", String::concat);
        assertThat(fromLogprobs).startsWith(generated.text().substring(0, Math.min(5, generated.text().length())));
    }

    @Test
    void logprobsAreNotComputedUnlessAsked() throws Exception {
        assertThat(generate(GenerationRequest.greedy("no-logprobs", chat, 4)).logprobs()).isEmpty();
        assertThat(generate(GenerationRequest.greedy("no-top", chat, 4).with(Constraints.NONE, 0)).logprobs())
                .allSatisfy(logprob -> assertThat(logprob.top()).isEmpty());
    }

    @Test
    void minPKeepsSeededSamplingReproducible() throws Exception {
        var request = sampled("min-p", 7, 1.0f, 16).with(new Constraints(0.1f, Map.of(), ""), -1);

        assertThat(generate(request).text()).isEqualTo(generate(request).text());
    }
}
