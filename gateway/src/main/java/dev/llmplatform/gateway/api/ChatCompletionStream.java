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
    private final TextEventTemplate content;
    private boolean roleSent;

    ChatCompletionStream(String id, long created, String model, int index, GenerationTally tally, ServerSentEvents sse) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.index = index;
        this.tally = tally;
        this.content = sse.template(text -> chunk(new Delta(null, text), null));
    }

    /** The chunks to send for {@code chunk}: records, or frames ready to write. */
    List<Object> next(GeneratedChunk chunk) {
        if (tally.isFinished()) {
            return List.of();
        }
        tally.add(chunk);
        if (roleSent) {
            return chunk.text().isEmpty() ? List.of() : List.of(content.frame(chunk.text()));
        }
        var chunks = new ArrayList<Object>(2);
        sendRoleOnce(chunks);
        if (!chunk.text().isEmpty()) {
            chunks.add(content.frame(chunk.text()));
        }
        return chunks;
    }

    List<Object> last() {
        var chunks = new ArrayList<Object>(2);
        sendRoleOnce(chunks);
        chunks.add(chunk(Delta.EMPTY, OpenAiResponses.finishReason(tally.finishReason())));
        return chunks;
    }

    private void sendRoleOnce(List<Object> chunks) {
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
