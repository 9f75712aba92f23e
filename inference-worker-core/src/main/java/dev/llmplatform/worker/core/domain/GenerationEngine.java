package dev.llmplatform.worker.core.domain;

import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/** A loaded model that generates many sequences at once, each on its own sequence id in one shared batch. */
public interface GenerationEngine extends AutoCloseable {

    String modelId();

    /** Tokens one sequence may hold: prompt plus output. */
    int contextPerSequence();

    /** Sequences decoded together at most. */
    int slots();

    /**
     * Queues a sequence. {@code sink} hears each piece of text as soon as it is decoded, on the engine's thread;
     * {@code cancelled} is polled once per decode step. The future completes with how the sequence ended.
     */
    CompletableFuture<GenerationOutcome> submit(GenerationRequest request, TextSink sink, BooleanSupplier cancelled);

    EngineLoad load();

    /** The keys ({@code PrefixKeys}) of the token prefixes this engine's KV cache holds; none by default. */
    default long[] cachedPrefixKeys() {
        return new long[0];
    }

    /** Prompt tokens found in the KV cache instead of being prefilled, since the engine started. */
    default long reusedPromptTokens() {
        return 0;
    }

    /** Of those, the tokens copied back from host memory (a prompt cache) rather than found on a sequence id. */
    default long restoredPromptTokens() {
        return 0;
    }

    /** Host memory the engine's prompt cache holds now. */
    default long promptCacheBytes() {
        return 0;
    }

    @Override
    void close();

    /**
     * What the engine is doing now.
     *
     * @param kvCacheTokens         tokens the running sequences hold in the KV cache
     * @param kvCacheCapacityTokens slots times tokens per sequence
     */
    record EngineLoad(int running, int waiting, long kvCacheTokens, long kvCacheCapacityTokens,
                      double decodeTokensPerSecond, double prefillTokensPerSecond) {

        public static final EngineLoad IDLE = new EngineLoad(0, 0, 0, 0, 0, 0);

        public double kvCacheUsage() {
            return kvCacheCapacityTokens == 0 ? 0 : Math.min(1.0, (double) kvCacheTokens / kvCacheCapacityTokens);
        }
    }

    /** Hears each generated token once, with the text it releases. */
    @FunctionalInterface
    interface TextSink {
        /**
         * @param text  what {@code token} releases: possibly empty (bytes of an unfinished UTF-8 character, or text
         *              that may still start a stop string, wait for a later token) or more than its own piece (what
         *              earlier tokens held back); the text of all tokens so far, concatenated, is the answer so far
         * @param token the generated token's id
         */
        void accept(String text, int token);

        /** The same, with the token's log probability when the request asked for logprobs (null otherwise). */
        default void accept(String text, int token, TokenLogprob logprob) {
            accept(text, token);
        }
    }
}
