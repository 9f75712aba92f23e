package dev.llmplatform.worker.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.worker.core.domain.GenerationOutcome;
import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.infra.CpuBuild;
import dev.llmplatform.worker.core.llama.LlamaContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The workers' engine on llama.cpp's CPU build, the one the CPU worker runs (the GPU worker runs the same binding,
 * batch and decode loop on the CUDA build).
 */
class ContinuousBatchingEngineTest {

    /** The default model's chat template (ChatML) around a question: the model answers and ends with <|im_end|>. */
    static final String CHAT = "<|im_start|>user\nRecite Genesis 1:1<|im_end|>\n<|im_start|>assistant\n";

    private static ContinuousBatchingEngine engine;
    private static LlamaContext context;
    private static final AtomicInteger widestStep = new AtomicInteger();
    private static final int[] prompt = PreviousEngine.PROMPT;

    @BeforeAll
    static void load() {
        context = new LlamaContext(CpuBuild.library(), CpuBuild.GGUF, new LlamaContext.Settings(0, 4, 256, 64, 1));
        engine = new ContinuousBatchingEngine("tiny-kjv-chat", context, 4, 64, (sequences, prefill, decode, nanos) -> {
            widestStep.accumulateAndGet(sequences, Math::max);
        });
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private record Result(String text, GenerationOutcome outcome) {
    }

    private static CompletableFuture<Result> start(GenerationRequest request) {
        var text = new StringBuffer();
        return engine.submit(request, (piece, tokens) -> text.append(piece), () -> false)
                .thenApply(outcome -> new Result(text.toString(), outcome));
    }

    private static Result generate(GenerationRequest request) throws Exception {
        return start(request).get(60, TimeUnit.SECONDS);
    }

    /** A greedy request stopping at {@code length} characters from the middle of its answer without a stop string. */
    private record StopCase(GenerationRequest request, String textBeforeStop) {

        static StopCase fromTheMiddle(String id, int length) throws Exception {
            String full = generate(GenerationRequest.greedy(id + "-full", prompt, 24)).text();
            String stop = full.substring(full.length() / 2, full.length() / 2 + length);
            return new StopCase(new GenerationRequest(id, prompt, 24, 0f, 1f, 0, OptionalLong.empty(), List.of(stop), 0f, 0f),
                    full.substring(0, full.indexOf(stop)));
        }
    }

    /** A generation token by token: each token's id and the text it released. */
    private record Streamed(List<Integer> tokens, List<String> texts, GenerationOutcome outcome) {

        String text() {
            return String.join("", texts);
        }

        int[] firstTokens(int k) {
            return tokens.subList(0, k).stream().mapToInt(Integer::intValue).toArray();
        }

        /** The text a caller had once it received the first {@code k} tokens. */
        String textOfFirst(int k) {
            return String.join("", texts.subList(0, k));
        }
    }

    private static Streamed stream(GenerationRequest request) throws Exception {
        List<Integer> tokens = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        var outcome = engine.submit(request, (piece, token) -> {
            tokens.add(token);
            texts.add(piece);
        }, () -> false).get(60, TimeUnit.SECONDS);
        return new Streamed(List.copyOf(tokens), List.copyOf(texts), outcome);
    }

    /** For each k, the request resumed after the first k tokens of its uninterrupted run gives the rest of that run. */
    private static void assertResumesContinueTheUninterruptedRun(GenerationRequest request, int... ks) throws Exception {
        Streamed whole = stream(request);
        assertThat(whole.tokens()).hasSizeGreaterThan(ks[ks.length - 1]);
        for (int k : ks) {
            Streamed rest = stream(request.resumedAfter(whole.firstTokens(k)));

            assertThat(rest.tokens()).as("tokens after resuming at %d", k).isEqualTo(whole.tokens().subList(k, whole.tokens().size()));
            assertThat(whole.textOfFirst(k) + rest.text()).as("text after resuming at %d", k).isEqualTo(whole.text());
            assertThat(rest.outcome()).as("outcome after resuming at %d", k).isEqualTo(whole.outcome());
        }
    }

    @Test
    void greedyOutputEqualsThePreviousEnginesForTheSameTokenIds() throws Exception {
        Result result = generate(GenerationRequest.greedy("same-as-before", prompt, 24));

        assertThat(result.text()).isEqualTo(PreviousEngine.GREEDY);
        assertThat(result.outcome()).isEqualTo(new GenerationOutcome.LengthReached(24));
    }

    @Test
    void concurrentSequencesAreDecodedInOneBatchAndEachGetsItsOwnText() throws Exception {
        int[] other = Arrays.copyOf(prompt, prompt.length - 1);
        String aloneFirst = generate(GenerationRequest.greedy("alone-1", prompt, 20)).text();
        String aloneOther = generate(GenerationRequest.greedy("alone-2", other, 20)).text();
        widestStep.set(0);

        List<CompletableFuture<Result>> together = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            together.add(start(GenerationRequest.greedy("together-" + i, i % 2 == 0 ? prompt : other, 20)));
        }
        List<String> texts = new ArrayList<>();
        for (var future : together) {
            texts.add(future.get(60, TimeUnit.SECONDS).text());
        }

        assertThat(widestStep.get()).as("sequences decoded in one step").isGreaterThan(1);
        assertThat(texts).containsExactly(aloneFirst, aloneOther, aloneFirst, aloneOther);
    }

    @Test
    void everySlotFilledToItsWholeContextFitsTheSharedKvCache() throws Exception {
        assertThat(engine.contextPerSequence()).as("a sequence's share of the one KV buffer, not all of it").isEqualTo(256);
        int[] longPrompt = new int[engine.contextPerSequence() - 8];
        for (int i = 0; i < longPrompt.length; i++) {
            longPrompt[i] = prompt[i % prompt.length];
        }
        List<CompletableFuture<Result>> full = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            full.add(start(GenerationRequest.greedy("full-" + i, longPrompt, 8)));
        }
        for (var future : full) {
            assertThat(future.get(60, TimeUnit.SECONDS).outcome()).isNotInstanceOf(GenerationOutcome.Failed.class);
        }
    }

    @Test
    void moreSequencesThanSlotsWaitAndAllFinish() throws Exception {
        List<CompletableFuture<Result>> futures = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            futures.add(start(GenerationRequest.greedy("queued-" + i, prompt, 8)));
        }
        for (var future : futures) {
            assertThat(future.get(60, TimeUnit.SECONDS).outcome()).isEqualTo(new GenerationOutcome.LengthReached(8));
        }
    }

    @Test
    void cancellationEndsTheSequenceAndFreesItsSlotAndCache() throws Exception {
        String before = generate(GenerationRequest.greedy("before", prompt, 16)).text();
        var tokens = new AtomicInteger();
        List<CompletableFuture<GenerationOutcome>> cancelled = new ArrayList<>();
        for (int i = 0; i < engine.slots(); i++) {
            cancelled.add(engine.submit(GenerationRequest.greedy("cancel-" + i, prompt, 200),
                    (piece, token) -> tokens.incrementAndGet(), () -> tokens.get() >= 3));
        }
        for (var outcome : cancelled) {
            assertThat(outcome.get(60, TimeUnit.SECONDS)).isInstanceOf(GenerationOutcome.Cancelled.class)
                    .matches(o -> o.completionTokens() < 200);
        }

        // every slot was used by a cancelled sequence; had its KV cells stayed, this text would differ
        assertThat(generate(GenerationRequest.greedy("after", prompt, 16)).text()).isEqualTo(before);
        assertThat(engine.load().running()).isZero();
    }

    @Test
    void aFixedSeedReproducesSampledText() throws Exception {
        var sampled = new GenerationRequest("seeded", prompt, 24, 1.0f, 0.95f, 40, OptionalLong.of(42), List.of(), 0f, 0f);

        assertThat(generate(sampled).text()).isEqualTo(generate(sampled).text());
    }

    @Test
    void aGreedySequenceResumedAfterSomeTokensGivesExactlyTheRestOfTheUninterruptedOne() throws Exception {
        assertResumesContinueTheUninterruptedRun(GenerationRequest.greedy("resume-greedy", prompt, 24), 1, 7, 16, 23);
    }

    @Test
    void aSeededSequenceResumedAfterSomeTokensDrawsWhatTheUninterruptedOneDrew() throws Exception {
        // a frequency penalty too: the resumed tokens must be in the sampler's history, as the generated ones were
        var seeded = new GenerationRequest("resume-seeded", prompt, 24, 0.8f, 0.95f, 40, OptionalLong.of(42), List.of(), 0.5f, 0f);

        assertResumesContinueTheUninterruptedRun(seeded, 1, 5, 10, 17);
    }

    @Test
    void aSequenceResumedAfterItsLastTokenEndsWithoutSendingAnything() throws Exception {
        var request = GenerationRequest.greedy("resume-at-end", prompt, 8);
        Streamed whole = stream(request);

        Streamed rest = stream(request.resumedAfter(whole.firstTokens(8)));

        assertThat(rest.tokens()).isEmpty();
        assertThat(rest.outcome()).isEqualTo(new GenerationOutcome.LengthReached(8));
    }

    @Test
    void aStopStringHeldBackAcrossTheResumeIsNeitherRepeatedNorLost() throws Exception {
        // a stop string that spans tokens, so that some resume points fall while its start is held back
        var stop = StopCase.fromTheMiddle("stop-resume", 6);
        Streamed whole = stream(stop.request());
        assertThat(whole.text()).isEqualTo(stop.textBeforeStop());

        int[] every = java.util.stream.IntStream.range(1, whole.tokens().size()).toArray();
        assertResumesContinueTheUninterruptedRun(stop.request(), every);
    }

    @Test
    void aStopStringEndsGenerationBeforeIt() throws Exception {
        var stop = StopCase.fromTheMiddle("stop", 2);

        Result result = generate(stop.request());

        assertThat(result.outcome()).isInstanceOf(GenerationOutcome.Stopped.class);
        assertThat(result.text()).isEqualTo(stop.textBeforeStop());
    }

    @Test
    void aSequenceEndsAtAnEndOfGenerationTokenWhichNeverShowsAsText() throws Exception {
        int[] chat = context.tokenize(CHAT);

        Result result = generate(GenerationRequest.greedy("chat", chat, 200));

        assertThat(result.outcome()).isInstanceOf(GenerationOutcome.Stopped.class);
        assertThat(result.outcome().completionTokens()).isLessThan(200);
        assertThat(result.text()).isNotBlank().doesNotContain("<|im_end|>").doesNotContain("</s>");
    }

    @Test
    void everyEndOfGenerationTokenOfTheVocabularyEndsASequenceNotOnlyEndOfSequence() {
        List<Integer> endOfGeneration = new ArrayList<>();
        for (int token = 0; token < context.vocabularySize(); token++) {
            if (context.isEndOfGeneration(token)) {
                endOfGeneration.add(token);
            }
        }

        assertThat(endOfGeneration).contains(context.endOfSequence());
        assertThat(endOfGeneration).as("llama.cpp's end-of-generation set, of which EOS is one").hasSizeGreaterThan(1);
    }
}
