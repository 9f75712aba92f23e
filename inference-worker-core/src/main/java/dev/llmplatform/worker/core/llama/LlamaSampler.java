package dev.llmplatform.worker.core.llama;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.OptionalLong;

/**
 * One sequence's sampler chain, in llama.cpp's usual order: penalties, top-k, top-p, temperature, then a seeded
 * random draw; or plain argmax (greedy) when the temperature is 0, which is what makes output deterministic.
 */
public final class LlamaSampler implements AutoCloseable {

    /** What the caller asked for; 0 (or 1 for top-p) switches a stage off. */
    public record Settings(float temperature, float topP, int topK, OptionalLong seed, float frequencyPenalty,
                           float presencePenalty) {
        public boolean greedy() {
            return temperature <= 0f;
        }
    }

    /** LLAMA_DEFAULT_SEED: llama.cpp picks a random seed. */
    private static final int RANDOM_SEED = 0xFFFFFFFF;
    /** How many recent tokens the frequency and presence penalties look at (llama.cpp's default). */
    private static final int PENALTY_WINDOW = 64;

    private final LlamaLibrary library;
    private final MemorySegment chain;

    LlamaSampler(LlamaLibrary library, int vocabularySize, Settings settings) {
        this.library = library;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = (MemorySegment) library.samplerChainDefaultParams.invokeExact((SegmentAllocator) arena);
            chain = (MemorySegment) library.samplerChainInit.invokeExact(params);
            if (settings.greedy()) {
                add((MemorySegment) library.samplerInitGreedy.invokeExact());
                return;
            }
            if (settings.frequencyPenalty() != 0f || settings.presencePenalty() != 0f) {
                add((MemorySegment) library.samplerInitPenalties.invokeExact(vocabularySize, PENALTY_WINDOW, 1.0f,
                        settings.frequencyPenalty(), settings.presencePenalty()));
            }
            if (settings.topK() > 0) {
                add((MemorySegment) library.samplerInitTopK.invokeExact(settings.topK()));
            }
            if (settings.topP() > 0f && settings.topP() < 1f) {
                add((MemorySegment) library.samplerInitTopP.invokeExact(settings.topP(), 1L));
            }
            add((MemorySegment) library.samplerInitTemp.invokeExact(settings.temperature()));
            int seed = settings.seed().isPresent() ? (int) settings.seed().getAsLong() : RANDOM_SEED;
            add((MemorySegment) library.samplerInitDist.invokeExact(seed));
        } catch (Throwable e) {
            throw new IllegalStateException("cannot build a llama.cpp sampler: " + e, e);
        }
    }

    private void add(MemorySegment sampler) throws Throwable {
        library.samplerChainAdd.invokeExact(chain, sampler);
    }

    /** Samples from the logits of batch index {@code outputIndex} and lets the chain remember the token. */
    int sample(MemorySegment context, int outputIndex) {
        try {
            return (int) library.samplerSample.invokeExact(chain, context, outputIndex);
        } catch (Throwable e) {
            throw new IllegalStateException("llama_sampler_sample failed: " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            library.samplerFree.invokeExact(chain);
        } catch (Throwable e) {
            throw new IllegalStateException("llama_sampler_free failed: " + e, e);
        }
    }
}
