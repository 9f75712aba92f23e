package dev.llmplatform.gateway.domain;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** A generated token's log probability and the likeliest tokens at its position, as the worker measured them. */
public record TokenLogprob(byte[] token, float logprob, List<Alternative> top) {

    public TokenLogprob {
        top = List.copyOf(top);
    }

    /** The token's text; a token holding part of a UTF-8 character shows U+FFFD for it, as OpenAI's do. */
    public String text() {
        return new String(token, StandardCharsets.UTF_8);
    }

    public record Alternative(byte[] token, float logprob) {

        public String text() {
            return new String(token, StandardCharsets.UTF_8);
        }
    }
}
