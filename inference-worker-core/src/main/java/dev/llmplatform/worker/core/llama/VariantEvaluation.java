package dev.llmplatform.worker.core.llama;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Measures one GGUF variant the way llama.cpp's perplexity tool does, optionally against a reference variant of the
 * same model (its F16) over the same tokens:
 *
 * <ul>
 *   <li>perplexity: the text is tokenized once (with the reference's tokenizer when there is one, so both see the
 *       same ids) and cut into chunks of {@code chunkTokens}; each chunk is decoded from an empty KV cache with logits
 *       at every position, and the negative log-likelihood of each next token is averaged over the <b>second half of
 *       each chunk</b> only (positions chunk/2 .. chunk-2 predict tokens chunk/2+1 .. chunk-1), so that every scored
 *       token has at least half a chunk of context, as in llama.cpp's {@code perplexity}. exp(mean NLL).</li>
 *   <li>agreement with the reference at the same scored positions: top-1 agreement (the share of positions where
 *       both models' most likely next token is the same) and the mean KL divergence KL(P_reference || P_variant)
 *       in nats.</li>
 *   <li>decode speed: greedy single-sequence decoding of {@code decodeTokens} tokens after a short prompt, one token
 *       per llama_decode, timed without the prompt; the best of three rounds, so that a moment of contention for the
 *       cores (a worker measures while it serves, and services start beside it) does not become the figure.</li>
 *   <li>memory: the weights as llama.cpp holds them (llama_model_size). The KV cache is left out: its type (F16) does
 *       not depend on the weights' type, so it is the same for every variant of a model.</li>
 * </ul>
 */
public final class VariantEvaluation {

    /** @param chunkTokens tokens per perplexity chunk, capped by the model's context; threads 0 lets llama.cpp choose */
    public record Settings(int chunkTokens, int decodeTokens, int threads, int gpuLayers) {
    }

    /**
     * @param scoredTokens how many next-token predictions the figures average over
     * @param top1Agreement empty without a reference; likewise klDivergence
     */
    public record Result(double perplexity, int scoredTokens, Optional<Double> top1Agreement, Optional<Double> klDivergence,
                         double decodeTokensPerSecond, long memoryBytes) {
    }

    private final LlamaLibrary library;
    private final Settings settings;

    public VariantEvaluation(LlamaLibrary library, Settings settings) {
        this.library = library;
        this.settings = settings;
    }

    /**
     * @throws IllegalArgumentException when the text is too short for one chunk of at least 16 tokens, or the two
     *                                  models' vocabularies differ
     */
    public Result evaluate(Path variant, Optional<Path> reference, String text) {
        int chunk = settings.chunkTokens();
        try (var model = context(variant, chunk);
             var ref = reference.map(r -> context(r, chunk)).orElse(null)) {
            if (ref != null && ref.vocabularySize() != model.vocabularySize()) {
                throw new IllegalArgumentException("the reference has " + ref.vocabularySize() + " tokens in its vocabulary, the variant "
                        + model.vocabularySize() + ": not the same model");
            }
            int[] tokens = (ref != null ? ref : model).tokenize(text);
            int n = Math.min(chunk, model.contextPerSequence());
            if (tokens.length < n) {
                n = tokens.length;
            }
            if (n < 16) {
                throw new IllegalArgumentException("the evaluation text has " + tokens.length + " tokens; at least 16 are needed");
            }
            int chunks = tokens.length / n;
            double nll = 0;
            double kl = 0;
            long agree = 0;
            int scored = 0;
            int first = n / 2;
            try (LlamaBatch batch = model.newBatch(n); LlamaBatch refBatch = ref == null ? null : ref.newBatch(n)) {
                for (int c = 0; c < chunks; c++) {
                    int start = c * n;
                    decodeChunk(model, batch, tokens, start, n, first);
                    if (ref != null) {
                        decodeChunk(ref, refBatch, tokens, start, n, first);
                    }
                    for (int j = first; j < n - 1; j++) {
                        int next = tokens[start + j + 1];
                        double[] logp = logSoftmax(model.logits(j));
                        nll -= logp[next];
                        if (ref != null) {
                            double[] refLogp = logSoftmax(ref.logits(j));
                            kl += klDivergence(refLogp, logp);
                            if (argmax(refLogp) == argmax(logp)) {
                                agree++;
                            }
                        }
                        scored++;
                    }
                }
            }
            double tokensPerSecond = 0;
            for (int round = 0; round < 3; round++) {
                tokensPerSecond = Math.max(tokensPerSecond, decodeSpeed(model, tokens));
            }
            Optional<Double> top1 = ref == null ? Optional.empty() : Optional.of((double) agree / scored);
            Optional<Double> meanKl = ref == null ? Optional.empty() : Optional.of(kl / scored);
            return new Result(Math.exp(nll / scored), scored, top1, meanKl, tokensPerSecond, model.modelBytes());
        }
    }

    private LlamaContext context(Path gguf, int chunk) {
        return new LlamaContext(library, gguf, new LlamaContext.Settings(settings.gpuLayers(), 1, chunk, chunk, settings.threads()));
    }

    /** Decodes tokens[start, start+n) as one sequence from an empty cache, with logits where they are scored. */
    private static void decodeChunk(LlamaContext context, LlamaBatch batch, int[] tokens, int start, int n, int first) {
        context.forget(0);
        batch.clear();
        for (int j = 0; j < n; j++) {
            batch.add(tokens[start + j], j, 0, j >= first && j < n - 1);
        }
        check(context.decode(batch));
    }

    /** Tokens per second of greedy decoding, one token per step, after the text's first 16 tokens as the prompt. */
    private double decodeSpeed(LlamaContext context, int[] tokens) {
        int prompt = Math.min(16, tokens.length);
        int steps = Math.min(settings.decodeTokens(), context.contextPerSequence() - prompt - 1);
        if (steps <= 0) {
            return 0;
        }
        context.forget(0);
        try (LlamaBatch batch = context.newBatch(Math.max(prompt, 1))) {
            for (int j = 0; j < prompt; j++) {
                batch.add(tokens[j], j, 0, j == prompt - 1);
            }
            check(context.decode(batch));
            int next = argmax(context.logits(prompt - 1));
            long started = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                batch.clear();
                batch.add(next, prompt + i, 0, true);
                check(context.decode(batch));
                next = argmax(context.logits(0));
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            context.forget(0);
            return steps / seconds;
        }
    }

    private static void check(int decoded) {
        if (decoded != 0) {
            throw new IllegalStateException("llama_decode returned " + decoded);
        }
    }

    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - log;
        }
        return out;
    }

    /** KL(P || Q) from log-probabilities. */
    static double klDivergence(double[] logP, double[] logQ) {
        double kl = 0;
        for (int i = 0; i < logP.length; i++) {
            double p = Math.exp(logP[i]);
            if (p > 0) {
                kl += p * (logP[i] - logQ[i]);
            }
        }
        return kl;
    }

    static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
