package dev.llmplatform.worker.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.worker.core.domain.GenerationOutcome;
import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.infra.CpuBuild;
import dev.llmplatform.worker.core.llama.LlamaContext;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the engine feeds prompts beside decoding sequences: a chunk at a time while the decoding outnumber the
 * prompts (so a long prompt does not stall running streams), everything the step holds when the prompts outnumber
 * the decoding (so a wave of arrivals is not trickled in while a nearly empty batch decodes). Each test has an
 * engine of its own, so that no earlier test has grown the chunk.
 */
class PrefillChunkingTest {

    private static final int BATCH_TOKENS = 512;

    private record Step(int prefillTokens, int decodeTokens) {
    }

    private LlamaContext context;
    private ContinuousBatchingEngine engine;
    private final List<Step> steps = new CopyOnWriteArrayList<>();

    @BeforeEach
    void load() {
        context = new LlamaContext(CpuBuild.library(), CpuBuild.GGUF, new LlamaContext.Settings(0, 4, 512, BATCH_TOKENS, 1));
        engine = new ContinuousBatchingEngine("tiny-kjv-chat", context, 4, BATCH_TOKENS,
                (sequences, prefill, decode, nanos) -> steps.add(new Step(prefill, decode)));
    }

    @AfterEach
    void close() {
        engine.close();
    }

    @Test
    void aLongPromptArrivingBesideOneDecodingSequenceGoesInByChunks() throws Exception {
        CompletableFuture<GenerationOutcome> running = decodeUntilCancelled("running");
        int[] longPrompt = repeated(300);
        steps.clear();

        engine.submit(GenerationRequest.greedy("long", longPrompt, 1), (piece, token) -> { }, () -> false)
                .get(60, TimeUnit.SECONDS);

        List<Step> mixed = steps.stream().filter(s -> s.decodeTokens() > 0 && s.prefillTokens() > 0).toList();
        assertThat(mixed).as("steps that decoded beside the long prompt").hasSizeGreaterThan(1);
        assertThat(mixed).allSatisfy(s -> assertThat(s.prefillTokens()).isLessThan(longPrompt.length / 2));
        running.cancel(true);
    }

    @Test
    void aWaveOfPromptsArrivingBesideOneDecodingSequenceGoesInWhole() throws Exception {
        CompletableFuture<GenerationOutcome> running = decodeUntilCancelled("running");
        int[] prompt = repeated(60);
        steps.clear();

        List<CompletableFuture<GenerationOutcome>> wave = List.of(
                engine.submit(GenerationRequest.greedy("wave-1", prompt, 1), (piece, token) -> { }, () -> false),
                engine.submit(GenerationRequest.greedy("wave-2", prompt, 1), (piece, token) -> { }, () -> false),
                engine.submit(GenerationRequest.greedy("wave-3", prompt, 1), (piece, token) -> { }, () -> false));
        for (var answer : wave) {
            answer.get(60, TimeUnit.SECONDS);
        }

        assertThat(steps).as("a step that decoded and took at least a whole prompt, where a chunk starts at 4 tokens")
                .anySatisfy(s -> {
                    assertThat(s.decodeTokens()).isPositive();
                    assertThat(s.prefillTokens()).isGreaterThanOrEqualTo(prompt.length);
                });
        running.cancel(true);
    }

    /** A sequence that decodes, never ending of itself, until the test is over; returns once it has its first token. */
    private CompletableFuture<GenerationOutcome> decodeUntilCancelled(String id) throws InterruptedException {
        var request = new GenerationRequest(id, repeated(8), 400, 0f, 1f, 0, OptionalLong.empty(), List.of(), 0f, 0f,
                GenerationRequest.NO_REPETITION_PENALTY, new int[0], new GenerationRequest.Constraints(0f, Map.of(), "", true),
                GenerationRequest.NO_LOGPROBS);
        var firstToken = new CountDownLatch(1);
        var stopped = new CompletableFuture<GenerationOutcome>();
        engine.submit(request, (piece, token) -> firstToken.countDown(), stopped::isCancelled)
                .whenComplete((outcome, failure) -> stopped.complete(outcome));
        assertThat(firstToken.await(60, TimeUnit.SECONDS)).as("the running sequence's first token").isTrue();
        return stopped;
    }

    private static int[] repeated(int length) {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = PreviousEngine.PROMPT[i % PreviousEngine.PROMPT.length];
        }
        return tokens;
    }
}
