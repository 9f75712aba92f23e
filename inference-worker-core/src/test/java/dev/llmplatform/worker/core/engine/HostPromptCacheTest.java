package dev.llmplatform.worker.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.infra.CpuBuild;
import dev.llmplatform.worker.core.llama.LlamaContext;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A prompt whose sequence id went to other prompts comes back from host memory instead of being prefilled again. */
class HostPromptCacheTest {

    private static final String SYSTEM = "<|im_start|>system\nAnswer with a verse of the King James Bible.<|im_end|>\n";

    private static String generate(ContinuousBatchingEngine on, GenerationRequest request) throws Exception {
        var text = new StringBuffer();
        on.submit(request, (piece, token) -> text.append(piece), () -> false).get(60, TimeUnit.SECONDS);
        return text.toString();
    }

    private static int[] chat(LlamaContext context, String question) {
        return context.tokenize(SYSTEM + "<|im_start|>user\n" + question + "<|im_end|>\n<|im_start|>assistant\n");
    }

    private static ContinuousBatchingEngine oneSlotEngine(long promptCacheBytes) {
        var context = new LlamaContext(CpuBuild.library(), CpuBuild.GGUF, new LlamaContext.Settings(0, 1, 256, 64, 1));
        return new ContinuousBatchingEngine("tiny-kjv-chat", context, 1, 64, promptCacheBytes, (s, p, d, n) -> { });
    }

    @Test
    void aPromptEvictedFromItsSequenceIdIsRestoredWholeAndAnswersTheSame() throws Exception {
        var engine = oneSlotEngine(16L << 20);
        try (var tokens = new LlamaContext(CpuBuild.library(), CpuBuild.GGUF, new LlamaContext.Settings(0, 1, 256, 64, 1))) {
            int[] psalm = chat(tokens, "Recite the first three verses of Psalm 23, then the first verse of Psalm 24");
            int[] genesis = chat(tokens, "Recite Genesis 1:3");
            String first = generate(engine, GenerationRequest.greedy("psalm", psalm, 24));
            generate(engine, GenerationRequest.greedy("genesis", genesis, 8)); // takes the only id
            long reusedBefore = engine.reusedPromptTokens();

            String again = generate(engine, GenerationRequest.greedy("psalm-again", psalm, 24));

            assertThat(again).isEqualTo(first);
            assertThat(engine.reusedPromptTokens() - reusedBefore).isEqualTo(psalm.length - 1);
            assertThat(engine.restoredPromptTokens()).isEqualTo(psalm.length - 1);
        } finally {
            engine.close();
        }
    }

    @Test
    void aPromptKeptInHostMemoryIsReportedToTheSchedulerWithTheKeysItComputes() throws Exception {
        var engine = oneSlotEngine(16L << 20);
        try (var tokens = new LlamaContext(CpuBuild.library(), CpuBuild.GGUF, new LlamaContext.Settings(0, 1, 256, 64, 1))) {
            int[] psalm = chat(tokens, "Recite the first three verses of Psalm 23, then the first verse of Psalm 24");
            generate(engine, GenerationRequest.greedy("psalm", psalm, 8));
            generate(engine, GenerationRequest.greedy("genesis", chat(tokens, "Recite Genesis 1:3"), 8));

            long[] keys = dev.llmplatform.commons.prefix.PrefixKeys.of(psalm, psalm.length,
                    dev.llmplatform.commons.prefix.PrefixKeys.DEFAULT_BLOCK_TOKENS);

            assertThat(keys).isNotEmpty();
            assertThat(engine.cachedPrefixKeys()).contains(keys);
        } finally {
            engine.close();
        }
    }

    @Test
    void withoutABudgetOnlyWhatTheSequenceIdStillHoldsIsReused() throws Exception {
        var engine = oneSlotEngine(0);
        try (var tokens = new LlamaContext(CpuBuild.library(), CpuBuild.GGUF, new LlamaContext.Settings(0, 1, 256, 64, 1))) {
            int[] psalm = chat(tokens, "Recite the first three verses of Psalm 23, then the first verse of Psalm 24");
            int[] genesis = chat(tokens, "Recite Genesis 1:3");
            generate(engine, GenerationRequest.greedy("psalm", psalm, 24));
            generate(engine, GenerationRequest.greedy("genesis", genesis, 8));
            long reusedBefore = engine.reusedPromptTokens();

            generate(engine, GenerationRequest.greedy("psalm-again", psalm, 24));

            assertThat(engine.reusedPromptTokens() - reusedBefore).isEqualTo(PrefixSlots.commonPrefix(psalm, genesis));
            assertThat(engine.restoredPromptTokens()).isZero();
        } finally {
            engine.close();
        }
    }

    private static int[] tokens(int from, int count) {
        return IntStream.range(from, from + count).toArray();
    }

    private static Optional<MemorySegment> copyOf(long bytes, java.lang.foreign.Arena arena) {
        return Optional.of(arena.allocate(bytes));
    }

    @Test
    void theLongestSharedPrefixWinsAndShortOnesAreNotKept() {
        var cache = new HostPromptCache(1 << 20);
        cache.keep(tokens(0, HostPromptCache.MIN_TOKENS - 1), arena -> copyOf(100, arena));
        cache.keep(tokens(0, 20), arena -> copyOf(100, arena));
        cache.keep(tokens(100, 40), arena -> copyOf(100, arena));

        assertThat(cache.size()).isEqualTo(2);
        var match = cache.longestPrefix(tokens(0, 30)).orElseThrow();
        assertThat(match.prefix()).isEqualTo(20);
        assertThat(cache.longestPrefix(tokens(50, 30))).isEmpty();
        assertThat(cache.longestPrefix(tokens(100, HostPromptCache.MIN_TOKENS - 1))).as("too short a prefix to restore").isEmpty();
        cache.clear();
    }

    @Test
    void aLongerCopyOfTheSameTokensReplacesTheShorterAndTheBudgetDropsTheLeastRecentlyUsed() {
        var cache = new HostPromptCache(250);
        cache.keep(tokens(0, 20), arena -> copyOf(100, arena));
        cache.keep(tokens(0, 30), arena -> copyOf(100, arena));
        assertThat(cache.size()).as("the copy of 0..30 holds 0..20").isEqualTo(1);
        cache.keep(tokens(0, 25), arena -> copyOf(100, arena));
        assertThat(cache.size()).as("0..25 is already held").isEqualTo(1);

        cache.keep(tokens(100, 20), arena -> copyOf(100, arena));
        cache.longestPrefix(tokens(0, 30)); // used: 100..120 is now the least recently used
        cache.keep(tokens(200, 20), arena -> copyOf(100, arena));

        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.bytes()).isEqualTo(200);
        assertThat(cache.longestPrefix(tokens(100, 20))).isEmpty();
        assertThat(cache.longestPrefix(tokens(0, 30))).isPresent();
        cache.clear();
        assertThat(cache.bytes()).isZero();
    }
}
