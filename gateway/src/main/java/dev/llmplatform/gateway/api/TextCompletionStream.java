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

    TextCompletionStream(String id, long created, String model, int index, GenerationTally tally) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.index = index;
        this.tally = tally;
    }

    List<TextCompletion> next(GeneratedChunk chunk) {
        if (tally.isFinished()) {
            return List.of();
        }
        tally.add(chunk);
        return chunk.text().isEmpty() ? List.of() : List.of(chunk(chunk.text(), null));
    }

    List<TextCompletion> last() {
        return List.of(chunk("", OpenAiResponses.finishReason(tally.finishReason())));
    }

    private TextCompletion chunk(String text, String finishReason) {
        return new TextCompletion(id, "text_completion", created, model, List.of(new TextChoice(index, text, null, finishReason)), null);
    }
}
