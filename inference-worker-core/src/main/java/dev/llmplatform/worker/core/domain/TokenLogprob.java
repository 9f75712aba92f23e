package dev.llmplatform.worker.core.domain;

import java.util.List;

/**
 * A generated token's log probability under the model, and the likeliest tokens at its position (most likely
 * first). Token bytes rather than text: a token may hold part of a UTF-8 character.
 */
public record TokenLogprob(byte[] token, float logprob, List<Alternative> top) {

    public TokenLogprob {
        top = List.copyOf(top);
    }

    public record Alternative(byte[] token, float logprob) {
    }
}
