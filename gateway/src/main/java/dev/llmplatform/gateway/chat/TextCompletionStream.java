package dev.llmplatform.gateway.chat;

import dev.llmplatform.gateway.chat.OpenAiRequestParser.ParsedRequest;
import dev.llmplatform.gateway.chat.OpenAiResponses.TextChoice;
import dev.llmplatform.gateway.chat.OpenAiResponses.TextCompletion;
import dev.llmplatform.gateway.domain.GeneratedChunk;
import dev.llmplatform.gateway.domain.GenerationTally;
import java.util.List;

/**
 * One choice of a streamed legacy completion: the text as it comes, then an empty one with the finish reason.
 * With logprobs each chunk carries its tokens' logprobs, their text offsets counted from the start of the answer.
 */
final class TextCompletionStream {

    private final String id;
    private final long created;
    private final String model;
    private final int index;
    private final GenerationTally tally;
    private final TextEventTemplate text;
    private final boolean logprobs;
    private int offset;

    TextCompletionStream(String id, long created, ParsedRequest parsed, int index, GenerationTally tally, ServerSentEvents sse) {
        this.id = id;
        this.created = created;
        this.model = parsed.model();
        this.index = index;
        this.tally = tally;
        this.text = sse.template(t -> chunk(t, null, null));
        this.logprobs = parsed.sampling().wantsLogprobs();
    }

    /** The frames to send for {@code chunk}. */
    List<Object> next(GeneratedChunk chunk) {
        if (tally.isFinished()) {
            return List.of();
        }
        tally.add(chunk);
        if (logprobs && !chunk.logprobs().isEmpty()) {
            var logprobsJson = LogprobsJson.text(chunk.logprobs(), offset);
            offset += logprobsJson.tokens().stream().mapToInt(String::length).sum();
            return List.of(chunk(chunk.text(), logprobsJson, null));
        }
        return chunk.text().isEmpty() ? List.of() : List.of(text.frame(chunk.text()));
    }

    List<Object> last() {
        return List.of(chunk("", null, OpenAiResponses.finishReason(tally.finishReason())));
    }

    private TextCompletion chunk(String text, Object logprobs, String finishReason) {
        return new TextCompletion(id, "text_completion", created, model, List.of(new TextChoice(index, text, logprobs, finishReason)), null);
    }
}
