package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.api.OpenAiResponses.ChatCompletionChunk;
import dev.llmplatform.gateway.api.OpenAiResponses.ChunkChoice;
import dev.llmplatform.gateway.api.OpenAiResponses.Delta;
import dev.llmplatform.gateway.api.OpenAiResponses.Usage;
import dev.llmplatform.gateway.domain.GeneratedChunk;
import dev.llmplatform.gateway.domain.GenerationTally;
import java.util.ArrayList;
import java.util.List;

/**
 * One streamed chat completion's chunks: the role first, then the content as it comes, then an empty delta
 * with the finish reason, then (if asked) the usage with no choices. One instance per request.
 */
final class ChatCompletionStream {

    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;
    private final GenerationTally tally = new GenerationTally();
    private boolean roleSent;

    ChatCompletionStream(String id, long created, String model, boolean includeUsage) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.includeUsage = includeUsage;
    }

    List<ChatCompletionChunk> next(GeneratedChunk chunk) {
        if (tally.isFinished()) {
            return List.of();
        }
        tally.add(chunk);
        var chunks = new ArrayList<ChatCompletionChunk>(2);
        sendRoleOnce(chunks);
        if (!chunk.text().isEmpty()) {
            chunks.add(chunk(new Delta(null, chunk.text()), null));
        }
        return chunks;
    }

    List<ChatCompletionChunk> last() {
        var chunks = new ArrayList<ChatCompletionChunk>(3);
        sendRoleOnce(chunks);
        chunks.add(chunk(Delta.EMPTY, OpenAiResponses.finishReason(tally.finishReason())));
        if (includeUsage) {
            chunks.add(new ChatCompletionChunk(id, "chat.completion.chunk", created, model, List.of(), Usage.of(tally.usage())));
        }
        return chunks;
    }

    private void sendRoleOnce(List<ChatCompletionChunk> chunks) {
        if (!roleSent) {
            roleSent = true;
            chunks.add(chunk(Delta.ROLE, null));
        }
    }

    private ChatCompletionChunk chunk(Delta delta, String finishReason) {
        return new ChatCompletionChunk(id, "chat.completion.chunk", created, model,
                List.of(new ChunkChoice(0, delta, null, finishReason)), null);
    }
}
