package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.api.OpenAiResponses.TextChoice;
import dev.llmplatform.gateway.api.OpenAiResponses.TextCompletion;
import dev.llmplatform.gateway.domain.GeneratedChunk;
import dev.llmplatform.gateway.domain.GenerationTally;
import java.util.List;

/** One choice of a streamed legacy completion: the text as it comes, then an empty one with the finish reason. */
final class TextCompletionStream {

    private final String id;
    private final long created;
    private final String model;
    private final int index;
    private final GenerationTally tally;
    private final TextEventTemplate text;

    TextCompletionStream(String id, long created, String model, int index, GenerationTally tally, ServerSentEvents sse) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.index = index;
        this.tally = tally;
        this.text = sse.template(t -> chunk(t, null));
    }

    /** The frames to send for {@code chunk}. */
    List<Object> next(GeneratedChunk chunk) {
        if (tally.isFinished()) {
            return List.of();
        }
        tally.add(chunk);
        return chunk.text().isEmpty() ? List.of() : List.of(text.frame(chunk.text()));
    }

    List<Object> last() {
        return List.of(chunk("", OpenAiResponses.finishReason(tally.finishReason())));
    }

    private TextCompletion chunk(String text, String finishReason) {
        return new TextCompletion(id, "text_completion", created, model, List.of(new TextChoice(index, text, null, finishReason)), null);
    }
}
