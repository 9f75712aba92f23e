package dev.llmplatform.worker.core.llama;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One sequence's sampler chain, in llama.cpp's usual order: logit bias, grammar, penalties, top-k, top-p, min-p,
 * temperature, then a seeded random draw; or logit bias, grammar, penalties and plain argmax (greedy) when the
 * temperature is 0, which is what makes output deterministic (the penalties apply to greedy decoding too, as in
 * llama-server and vLLM). The grammar comes before every other stage, so that whatever they keep is a token the
 * grammar allows, and the output always matches it.
 * <p>
 * With a seed, the random draw of each generated position comes from its own generator, seeded from (seed,
 * position), rather than from one generator that advances token by token: a generation resumed on another worker
 * at position k (its first k tokens fed back through {@link #accept}) then draws exactly what the uninterrupted one
 * would have drawn there.
 */
public final class LlamaSampler implements AutoCloseable {

    /**
     * What the caller asked for; 0 (or 1 for top-p and the repetition penalty) switches a stage off.
     *
     * @param repetitionPenalty llama.cpp's multiplicative penalty_repeat: each recently generated token's logit is
     *                          divided by it when positive and multiplied by it when negative; above 0, 1 for none
     */
    public record Settings(float temperature, float topP, int topK, float minP, OptionalLong seed, float frequencyPenalty,
                           float presencePenalty, float repetitionPenalty, Map<Integer, Float> logitBias, String grammar) {

        public Settings {
            logitBias = Map.copyOf(logitBias);
            if (!(repetitionPenalty > 0f) || Float.isInfinite(repetitionPenalty)) {
                throw new IllegalArgumentException("repetition_penalty must be a finite number above 0, not " + repetitionPenalty);
            }
        }

        /** The basic knobs only: no repetition penalty, min-p, bias or grammar. */
        public Settings(float temperature, float topP, int topK, OptionalLong seed, float frequencyPenalty, float presencePenalty) {
            this(temperature, topP, topK, 0f, seed, frequencyPenalty, presencePenalty, 1f, Map.of(), "");
        }

        /** Whether any of the three penalties changes a logit. */
        boolean penalizes() {
            return frequencyPenalty != 0f || presencePenalty != 0f || repetitionPenalty != 1f;
        }

        public boolean greedy() {
            return temperature <= 0f;
        }
    }

    /** LLAMA_DEFAULT_SEED: llama.cpp picks a random seed. */
    private static final int RANDOM_SEED = 0xFFFFFFFF;
    /** How many recent tokens the repetition, frequency and presence penalties look at (llama.cpp's default). */
    private static final int PENALTY_WINDOW = 64;

    private final LlamaLibrary library;
    private final MemorySegment chain;
    private final boolean drawsPerPosition;
    private final long seed;
    private boolean closed;

    /**
     * @throws IllegalArgumentException when the grammar does not parse or a biased token is not in the vocabulary
     */
    LlamaSampler(LlamaLibrary library, MemorySegment vocabulary, int vocabularySize, Settings settings) {
        this.library = library;
        for (int token : settings.logitBias().keySet()) {
            if (token < 0 || token >= vocabularySize) {
                throw new IllegalArgumentException("logit_bias names token " + token + ", outside the vocabulary of "
                        + vocabularySize + " tokens");
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = (MemorySegment) library.samplerChainDefaultParams.invokeExact((SegmentAllocator) arena);
            chain = (MemorySegment) library.samplerChainInit.invokeExact(params);
            drawsPerPosition = !settings.greedy() && settings.seed().isPresent();
            seed = settings.seed().orElse(0);
            if (!settings.logitBias().isEmpty()) {
                addLogitBias(arena, vocabularySize, settings.logitBias());
            }
            if (!settings.grammar().isEmpty()) {
                MemorySegment grammar = (MemorySegment) library.samplerInitGrammar.invokeExact(vocabulary,
                        arena.allocateFrom(settings.grammar()), arena.allocateFrom("root"));
                if (grammar.equals(MemorySegment.NULL)) {
                    close();
                    throw new IllegalArgumentException("the grammar does not parse (llama.cpp's GBNF, root rule 'root')");
                }
                add(grammar);
            }
            if (settings.penalizes()) {
                add((MemorySegment) library.samplerInitPenalties.invokeExact(vocabularySize, PENALTY_WINDOW,
                        settings.repetitionPenalty(), settings.frequencyPenalty(), settings.presencePenalty()));
            }
            if (settings.greedy()) {
                add((MemorySegment) library.samplerInitGreedy.invokeExact());
                return;
            }
            if (settings.topK() > 0) {
                add((MemorySegment) library.samplerInitTopK.invokeExact(settings.topK()));
            }
            if (settings.topP() > 0f && settings.topP() < 1f) {
                add((MemorySegment) library.samplerInitTopP.invokeExact(settings.topP(), 1L));
            }
            if (settings.minP() > 0f) {
                add((MemorySegment) library.samplerInitMinP.invokeExact(settings.minP(), 1L));
            }
            add((MemorySegment) library.samplerInitTemp.invokeExact(settings.temperature()));
            // with a seed, sample() puts the draw of each position in its place; without one, one random generator
            add((MemorySegment) library.samplerInitDist.invokeExact(drawsPerPosition ? positionSeed(seed, 0) : RANDOM_SEED));
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot build a llama.cpp sampler: " + e, e);
        }
    }

    /** llama_logit_bias is {int32 token; float bias}; llama.cpp copies the array. */
    private void addLogitBias(Arena arena, int vocabularySize, Map<Integer, Float> biases) throws Throwable {
        MemorySegment array = arena.allocate(8L * biases.size(), 4);
        long offset = 0;
        for (var bias : biases.entrySet()) {
            array.set(ValueLayout.JAVA_INT, offset, bias.getKey());
            array.set(ValueLayout.JAVA_FLOAT, offset + 4, bias.getValue());
            offset += 8;
        }
        add((MemorySegment) library.samplerInitLogitBias.invokeExact(vocabularySize, biases.size(), array));
    }

    private void add(MemorySegment sampler) throws Throwable {
        library.samplerChainAdd.invokeExact(chain, sampler);
    }

    /**
     * Samples the token of generated position {@code position} (0 for the first generated token) from the logits of
     * batch index {@code outputIndex}, and lets the chain remember it.
     */
    int sample(MemorySegment context, int outputIndex, int position) {
        try {
            if (drawsPerPosition && position > 0) {
                redraw(position);
            }
            return (int) library.samplerSample.invokeExact(chain, context, outputIndex);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("llama_sampler_sample failed: " + e, e);
        }
    }

    /** A token generated earlier (elsewhere), remembered as if sampled here: the penalties count it. */
    public void accept(int token) {
        try {
            library.samplerAccept.invokeExact(chain, token);
        } catch (Throwable e) {
            throw new IllegalStateException("llama_sampler_accept failed: " + e, e);
        }
    }

    /** Replaces the chain's last stage, the random draw, with one seeded for {@code position}. */
    private void redraw(int position) throws Throwable {
        int last = (int) library.samplerChainN.invokeExact(chain) - 1;
        MemorySegment previous = (MemorySegment) library.samplerChainRemove.invokeExact(chain, last);
        library.samplerFree.invokeExact(previous);
        add((MemorySegment) library.samplerInitDist.invokeExact(positionSeed(seed, position)));
    }

    /**
     * The seed of one position's draw: SplitMix64's finalizer over seed and position, so that neighbouring positions
     * and neighbouring seeds get unrelated generators. Never LLAMA_DEFAULT_SEED, which would ask for a random one.
     */
    static int positionSeed(long seed, int position) {
        long z = seed + 0x9E3779B97F4A7C15L * (position + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        int mixed = (int) (z ^ (z >>> 31));
        return mixed == RANDOM_SEED ? 0 : mixed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            library.samplerFree.invokeExact(chain);
        } catch (Throwable e) {
            throw new IllegalStateException("llama_sampler_free failed: " + e, e);
        }
    }
}
