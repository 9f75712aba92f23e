package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.api.OpenAiResponses.ChatCompletionChunk;
import dev.llmplatform.gateway.api.OpenAiResponses.ChunkChoice;
import dev.llmplatform.gateway.api.OpenAiResponses.Delta;
import dev.llmplatform.gateway.domain.GeneratedChunk;
import dev.llmplatform.gateway.domain.GenerationTally;
import java.util.ArrayList;
import java.util.List;

/**
 * One choice of a streamed chat completion: the role first, then the content as it comes, then an empty
 * delta with the finish reason. Every chunk names its choice's index, so that with n > 1 the choices'
 * chunks can interleave. The usage chunk, common to all choices, is the handler's.
 */
final class ChatCompletionStream {

    private final String id;
    private final long created;
    private final String model;
    private final int index;
    private final GenerationTally tally;
    private boolean roleSent;

    ChatCompletionStream(String id, long created, String model, int index, GenerationTally tally) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.index = index;
        this.tally = tally;
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
        var chunks = new ArrayList<ChatCompletionChunk>(2);
        sendRoleOnce(chunks);
        chunks.add(chunk(Delta.EMPTY, OpenAiResponses.finishReason(tally.finishReason())));
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
                List.of(new ChunkChoice(index, delta, null, finishReason)), null);
    }
}
