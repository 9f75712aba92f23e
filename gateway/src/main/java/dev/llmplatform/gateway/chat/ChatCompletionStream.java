package dev.llmplatform.gateway.chat;

import dev.llmplatform.gateway.chat.OpenAiRequestParser.ParsedRequest;
import dev.llmplatform.gateway.chat.OpenAiResponses.ChatCompletionChunk;
import dev.llmplatform.gateway.chat.OpenAiResponses.ChunkChoice;
import dev.llmplatform.gateway.chat.OpenAiResponses.Delta;
import dev.llmplatform.gateway.chat.OpenAiResponses.FunctionDelta;
import dev.llmplatform.gateway.chat.OpenAiResponses.ToolCallDelta;
import dev.llmplatform.gateway.domain.GeneratedChunk;
import dev.llmplatform.gateway.domain.GenerationTally;
import dev.llmplatform.gateway.domain.OutputForm;
import dev.llmplatform.gateway.structured.ToolCallStreamParser;
import dev.llmplatform.gateway.structured.ToolStreamDelta;
import dev.llmplatform.gateway.structured.ToolStreamEnd;
import java.util.ArrayList;
import java.util.List;

/**
 * One choice of a streamed chat completion: the role first, then the content as it comes, then an empty
 * delta with the finish reason. Every chunk names its choice's index, so that with n > 1 the choices'
 * chunks can interleave. The usage chunk, common to all choices, is the handler's.
 * <p>
 * Under a tool grammar the text is read as it comes ({@link ToolCallStreamParser}): each call is announced with
 * its id and name, then its arguments follow in pieces, and the stream ends with finish_reason "tool_calls"; an
 * answer instead streams as content. With logprobs, each chunk carries its tokens' logprobs.
 */
final class ChatCompletionStream {

    private final String id;
    private final long created;
    private final String model;
    private final int index;
    private final GenerationTally tally;
    private final TextEventTemplate content;
    private final boolean logprobs;
    private final ToolCallStreamParser tools;
    private boolean roleSent;

    ChatCompletionStream(String id, long created, ParsedRequest parsed, int index, GenerationTally tally, ServerSentEvents sse) {
        this.id = id;
        this.created = created;
        this.model = parsed.model();
        this.index = index;
        this.tally = tally;
        this.content = sse.template(text -> chunk(new Delta(null, text), null, null));
        this.logprobs = parsed.sampling().wantsLogprobs();
        this.tools = parsed.form() instanceof OutputForm.ToolCalls ? new ToolCallStreamParser() : null;
    }

    /** The chunks to send for {@code chunk}: records, or frames ready to write. */
    List<Object> next(GeneratedChunk chunk) {
        if (tally.isFinished()) {
            return List.of();
        }
        tally.add(chunk);
        Object chunkLogprobs = logprobs && !chunk.logprobs().isEmpty() ? LogprobsJson.chat(chunk.logprobs()) : null;
        if (roleSent && tools == null && chunkLogprobs == null) {
            return chunk.text().isEmpty() ? List.of() : List.of(content.frame(chunk.text()));
        }
        var chunks = new ArrayList<Object>(2);
        sendRoleOnce(chunks);
        if (tools != null) {
            for (ToolStreamDelta delta : tools.feed(chunk.text())) {
                chunks.add(chunk(delta(delta), chunkLogprobs, null));
                chunkLogprobs = null; // once per generated chunk, with its first delta
            }
            if (chunkLogprobs != null) {
                chunks.add(chunk(Delta.EMPTY, chunkLogprobs, null));
            }
        } else if (chunkLogprobs != null) {
            chunks.add(chunk(new Delta(null, chunk.text()), chunkLogprobs, null));
        } else if (!chunk.text().isEmpty()) {
            chunks.add(content.frame(chunk.text()));
        }
        return chunks;
    }

    List<Object> last() {
        var chunks = new ArrayList<Object>(3);
        sendRoleOnce(chunks);
        String finishReason = OpenAiResponses.finishReason(tally.finishReason());
        if (tools != null) {
            switch (tools.finish()) {
                case ToolStreamEnd.ToolCallsEnd calls -> finishReason = OpenAiResponses.TOOL_CALLS;
                case ToolStreamEnd.TextEnd(String unsent) when !unsent.isEmpty() -> chunks.add(chunk(new Delta(null, unsent), null, null));
                default -> { }
            }
        }
        chunks.add(chunk(Delta.EMPTY, null, finishReason));
        return chunks;
    }

    private static Delta delta(ToolStreamDelta delta) {
        return switch (delta) {
            case ToolStreamDelta.ContentDelta(String text) -> new Delta(null, text);
            case ToolStreamDelta.CallStart(int call, String callId, String name) ->
                    new Delta(null, null, List.of(new ToolCallDelta(call, callId, "function", new FunctionDelta(name, ""))));
            case ToolStreamDelta.ArgumentsDelta(int call, String arguments) ->
                    new Delta(null, null, List.of(new ToolCallDelta(call, null, null, new FunctionDelta(null, arguments))));
        };
    }

    private void sendRoleOnce(List<Object> chunks) {
        if (!roleSent) {
            roleSent = true;
            chunks.add(chunk(Delta.ROLE, null, null));
        }
    }

    private ChatCompletionChunk chunk(Delta delta, Object chunkLogprobs, String finishReason) {
        return new ChatCompletionChunk(id, "chat.completion.chunk", created, model,
                List.of(new ChunkChoice(index, delta, chunkLogprobs, finishReason)), null);
    }
}
