package dev.llmplatform.worker.core.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Log probabilities from one position's raw logits: the softmax of the model's own distribution, before any sampling
 * setting (temperature, penalties, bias, grammar) reshapes it, as OpenAI reports them.
 */
public final class Logprobs {

    /** OpenAI's bound on top_logprobs. */
    public static final int MAX_TOP = 20;

    private Logprobs() {
    }

    /**
     * @param logits the position's logits, one per vocabulary token
     * @param token  the token that was generated there
     * @param top    how many of the likeliest tokens to list, 0..{@value #MAX_TOP}
     * @param piece  a token's bytes
     */
    public static TokenLogprob of(float[] logits, int token, int top, IntFunction<byte[]> piece) {
        float max = Float.NEGATIVE_INFINITY;
        for (float logit : logits) {
            max = Math.max(max, logit);
        }
        double sum = 0;
        for (float logit : logits) {
            sum += Math.exp(logit - max);
        }
        double logNormaliser = max + Math.log(sum);
        int[] best = likeliest(logits, Math.min(top, logits.length));
        List<TokenLogprob.Alternative> alternatives = new ArrayList<>(best.length);
        for (int id : best) {
            alternatives.add(new TokenLogprob.Alternative(piece.apply(id), (float) (logits[id] - logNormaliser)));
        }
        return new TokenLogprob(piece.apply(token), (float) (logits[token] - logNormaliser), alternatives);
    }

    /** The ids of the {@code count} largest logits, largest first; a small insertion-sorted window, since count ≤ 20. */
    static int[] likeliest(float[] logits, int count) {
        int[] ids = new int[count];
        int filled = 0;
        for (int id = 0; id < logits.length; id++) {
            if (filled == count && (count == 0 || logits[id] <= logits[ids[count - 1]])) {
                continue;
            }
            int at = filled < count ? filled++ : count - 1;
            while (at > 0 && logits[ids[at - 1]] < logits[id]) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = id;
        }
        return ids;
    }
}
