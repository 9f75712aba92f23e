package dev.llmplatform.gateway.chat;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.llmplatform.gateway.domain.FinishReason;
import dev.llmplatform.gateway.domain.TokenUsage;
import java.util.List;

/**
 * The OpenAI chat and legacy completion response bodies, field for field. Fields OpenAI sends as null (logprobs)
 * are sent as null.
 */
public final class OpenAiResponses {

    private OpenAiResponses() {
    }

    public record Usage(
            @JsonProperty("prompt_tokens") int promptTokens,
            @JsonProperty("completion_tokens") int completionTokens,
            @JsonProperty("total_tokens") int totalTokens) {

        static Usage of(TokenUsage usage) {
            return new Usage(usage.promptTokens(), usage.completionTokens(), usage.totalTokens());
        }
    }

    public record ChatCompletion(String id, String object, long created, String model, List<ChatChoice> choices, Usage usage) {
    }

    public record ChatChoice(int index, AssistantMessage message, Object logprobs,
                             @JsonProperty("finish_reason") String finishReason) {
    }

    /** @param content null when the answer is tool calls, as OpenAI sends it */
    public record AssistantMessage(String role, String content,
                                   @JsonInclude(JsonInclude.Include.NON_EMPTY) @JsonProperty("tool_calls") List<ToolCallJson> toolCalls) {
        public AssistantMessage(String role, String content) {
            this(role, content, List.of());
        }
    }

    public record ToolCallJson(String id, String type, FunctionCall function) {
        public ToolCallJson(String id, String name, String arguments) {
            this(id, "function", new FunctionCall(name, arguments));
        }
    }

    /** @param arguments the arguments as a string of JSON, as OpenAI sends them */
    public record FunctionCall(String name, String arguments) {
    }

    /** A piece of a streamed tool call: the first names it (index, id, type, name), the next add to its arguments. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ToolCallDelta(int index, String id, String type, FunctionDelta function) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FunctionDelta(String name, String arguments) {
    }

    /** A chat choice's logprobs: one entry per generated token. */
    public record ChatLogprobs(List<TokenLogprobJson> content, Object refusal) {
        public ChatLogprobs(List<TokenLogprobJson> content) {
            this(content, null);
        }
    }

    public record TokenLogprobJson(String token, float logprob, List<Integer> bytes,
                                   @JsonProperty("top_logprobs") List<TopLogprobJson> topLogprobs) {
    }

    public record TopLogprobJson(String token, float logprob, List<Integer> bytes) {
    }

    /** A legacy completion's logprobs, in parallel arrays. */
    public record TextLogprobs(List<String> tokens, @JsonProperty("token_logprobs") List<Float> tokenLogprobs,
                               @JsonProperty("top_logprobs") List<java.util.Map<String, Float>> topLogprobs,
                               @JsonProperty("text_offset") List<Integer> textOffset) {
    }

    /** @param usage only on the extra last chunk that stream_options.include_usage asks for */
    public record ChatCompletionChunk(String id, String object, long created, String model, List<ChunkChoice> choices,
                                      @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {
    }

    /** @param finishReason null until the last chunk, and sent as null */
    public record ChunkChoice(int index, Delta delta, Object logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    /** The first delta carries the role, the next ones the content, the last one nothing: {}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delta(String role, String content, @JsonProperty("tool_calls") List<ToolCallDelta> toolCalls) {
        static final Delta ROLE = new Delta("assistant", "");
        static final Delta EMPTY = new Delta(null, null);

        public Delta(String role, String content) {
            this(role, content, null);
        }
    }

    /** A legacy completion, whole or one streamed chunk of it. */
    public record TextCompletion(String id, String object, long created, String model, List<TextChoice> choices,
                                 @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {
    }

    public record TextChoice(int index, String text, Object logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    /** A cancelled generation only reaches a client that is still there if the scheduler gave up; "stop" is the closest. */
    static String finishReason(FinishReason reason) {
        return reason == FinishReason.LENGTH ? "length" : "stop";
    }

    static final String TOOL_CALLS = "tool_calls";
}
