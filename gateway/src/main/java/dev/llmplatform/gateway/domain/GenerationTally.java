package dev.llmplatform.gateway.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Adds up a generation's chunks: the whole text for a non-streamed answer, and the usage and finish
 * reason that both kinds of answer end with.
 */
public final class GenerationTally {

    private final StringBuilder text = new StringBuilder();
    private final List<TokenLogprob> logprobs = new ArrayList<>();
    private int completionTokens;
    private GeneratedChunk.Finish finish;

    public void add(GeneratedChunk chunk) {
        if (finish != null) {
            return; // nothing comes after the last chunk; ignore a scheduler that says otherwise
        }
        text.append(chunk.text());
        logprobs.addAll(chunk.logprobs());
        completionTokens += chunk.tokenCount();
        finish = chunk.finish().orElse(null);
    }

    /** True once the last chunk has been added. */
    public boolean isFinished() {
        return finish != null;
    }

    public String text() {
        return text.toString();
    }

    /** Every token's logprob so far, when the request asked for them. */
    public List<TokenLogprob> logprobs() {
        return List.copyOf(logprobs);
    }

    /** Tokens generated so far, counted chunk by chunk. */
    public int completionTokens() {
        return completionTokens;
    }

    public FinishReason finishReason() {
        return finish == null ? FinishReason.STOP : finish.reason();
    }

    /** The scheduler's count when it sent one; otherwise the generated tokens counted here, prompt unknown. */
    public TokenUsage usage() {
        return Optional.ofNullable(finish).flatMap(GeneratedChunk.Finish::usage)
                .orElseGet(() -> new TokenUsage(0, completionTokens, completionTokens));
    }
}
