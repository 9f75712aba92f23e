package dev.llmplatform.worker.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.commons.prefix.PrefixKeys;
import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.infra.CpuBuild;
import dev.llmplatform.worker.core.llama.LlamaContext;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A sequence starts from the KV cells an earlier one left, when their tokens begin the same. */
class PrefixReuseTest {

    private static final String SYSTEM = "<|im_start|>system\nAnswer with a verse of the King James Bible.<|im_end|>\n";

    private static ContinuousBatchingEngine engine;
    private static LlamaContext context;

    @BeforeAll
    static void load() {
        context = new LlamaContext(CpuBuild.library(), CpuBuild.GGUF, new LlamaContext.Settings(0, 2, 256, 64, 1));
        engine = new ContinuousBatchingEngine("tiny-kjv-chat", context, 2, 64, (sequences, prefill, decode, nanos) -> { });
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static String generate(ContinuousBatchingEngine on, GenerationRequest request) throws Exception {
        var text = new StringBuffer();
        on.submit(request, (piece, token) -> text.append(piece), () -> false).get(60, TimeUnit.SECONDS);
        return text.toString();
    }

    private static int[] chat(String question) {
        return context.tokenize(SYSTEM + "<|im_start|>user\n" + question + "<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void theSamePromptAgainReusesAllButItsLastTokenAndAnswersTheSame() throws Exception {
        int[] prompt = chat("Recite Psalm 23:1");
        String first = generate(engine, GenerationRequest.greedy("first", prompt, 24));
        long before = engine.reusedPromptTokens();

        String again = generate(engine, GenerationRequest.greedy("again", prompt, 24));

        assertThat(again).isEqualTo(first);
        assertThat(engine.reusedPromptTokens() - before).isEqualTo(prompt.length - 1);
    }

    @Test
    void aPromptSharingTheSystemMessageReusesItAndAnswersAsIfComputedWhole() throws Exception {
        generate(engine, GenerationRequest.greedy("warm", chat("Recite John 1:1"), 8));
        int[] other = chat("Recite Genesis 1:3");
        int shared = PrefixSlots.commonPrefix(chat("Recite John 1:1"), other);
        long before = engine.reusedPromptTokens();

        String reused = generate(engine, GenerationRequest.greedy("reused", other, 24));

        assertThat(engine.reusedPromptTokens() - before).isGreaterThanOrEqualTo(shared);
        var cold = new LlamaContext(CpuBuild.library(), CpuBuild.GGUF, new LlamaContext.Settings(0, 1, 256, 64, 1));
        var fresh = new ContinuousBatchingEngine("cold", cold, 1, 64, (sequences, prefill, decode, nanos) -> { });
        try {
            assertThat(reused).isEqualTo(generate(fresh, GenerationRequest.greedy("cold", other, 24)));
        } finally {
            fresh.close(); // frees its context too
        }
    }

    @Test
    void theCachedPrefixesAreReportedAsTheKeysTheSchedulerComputes() throws Exception {
        int[] prompt = chat("Recite Psalm 121:1");
        generate(engine, GenerationRequest.greedy("reported", prompt, 4));

        long[] keys = PrefixKeys.of(prompt, prompt.length, PrefixKeys.DEFAULT_BLOCK_TOKENS);

        assertThat(keys).isNotEmpty();
        assertThat(engine.cachedPrefixKeys()).contains(keys);
    }

    @Test
    void seededSamplingFromAReusedPrefixDrawsWhatItDrawsFromScratch() throws Exception {
        int[] prompt = chat("Recite Exodus 20:3");
        var seeded = new GenerationRequest("seeded", prompt, 24, 0.9f, 0.95f, 40, OptionalLong.of(7), List.of(), 0f, 0f);
        String first = generate(engine, seeded);

        assertThat(generate(engine, seeded)).isEqualTo(first);
    }

    @Test
    void slotsPreferTheLongestCachedPrefixThenEmptyThenLeastRecentlyUsed() {
        var slots = new PrefixSlots(3);
        var a = slots.take(new int[] {1, 2, 3});
        var b = slots.take(new int[] {1, 9});
        slots.park(a.seqId(), new int[] {1, 2, 3});
        slots.park(b.seqId(), new int[] {1, 9});

        var sharing = slots.take(new int[] {1, 2, 7});
        assertThat(sharing.seqId()).isEqualTo(a.seqId());
        assertThat(sharing.cachedPrefix()).isEqualTo(2);
        assertThat(sharing.cachedTokens()).isEqualTo(3);

        var unrelated = slots.take(new int[] {5});
        assertThat(unrelated.cachedPrefix()).isZero();
        assertThat(unrelated.cachedTokens()).as("an empty id before evicting a cached prefix").isZero();
        assertThat(slots.hasFree()).isTrue();
        assertThat(Arrays.asList(slots.take(new int[] {6}).seqId())).containsExactly(b.seqId());
        assertThat(slots.hasFree()).isFalse();
    }
}
