package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.api.OpenAiResponses.TextChoice;
import dev.llmplatform.gateway.api.OpenAiResponses.TextCompletion;
import dev.llmplatform.gateway.api.OpenAiResponses.Usage;
import dev.llmplatform.gateway.domain.GeneratedChunk;
import dev.llmplatform.gateway.domain.GenerationTally;
import java.util.ArrayList;
import java.util.List;

/** One streamed legacy completion's chunks: the text as it comes, an empty one with the finish reason, then the usage if asked. */
final class TextCompletionStream {

    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;
    private final GenerationTally tally = new GenerationTally();

    TextCompletionStream(String id, long created, String model, boolean includeUsage) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.includeUsage = includeUsage;
    }

    List<TextCompletion> next(GeneratedChunk chunk) {
        if (tally.isFinished()) {
            return List.of();
        }
        tally.add(chunk);
        return chunk.text().isEmpty() ? List.of() : List.of(chunk(chunk.text(), null));
    }

    List<TextCompletion> last() {
        var chunks = new ArrayList<TextCompletion>(2);
        chunks.add(chunk("", OpenAiResponses.finishReason(tally.finishReason())));
        if (includeUsage) {
            chunks.add(new TextCompletion(id, "text_completion", created, model, List.of(), Usage.of(tally.usage())));
        }
        return chunks;
    }

    private TextCompletion chunk(String text, String finishReason) {
        return new TextCompletion(id, "text_completion", created, model, List.of(new TextChoice(0, text, null, finishReason)), null);
    }
}
