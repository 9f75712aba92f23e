package dev.llmplatform.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.llmplatform.gateway.domain.FinishReason;
import dev.llmplatform.gateway.domain.TokenUsage;
import java.util.List;

/** The OpenAI response bodies, field for field. Fields OpenAI sends as null (logprobs) are sent as null. */
public final class OpenAiResponses {

    private OpenAiResponses() {
    }

    public record ErrorBody(Error error) {
    }

    public record Error(String message, String type, String param, String code) {
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

    public record AssistantMessage(String role, String content) {
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
    public record Delta(String role, String content) {
        static final Delta ROLE = new Delta("assistant", "");
        static final Delta EMPTY = new Delta(null, null);
    }

    /** A legacy completion, whole or one streamed chunk of it. */
    public record TextCompletion(String id, String object, long created, String model, List<TextChoice> choices,
                                 @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {
    }

    public record TextChoice(int index, String text, Object logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    public record ModelList(String object, List<ModelCard> data) {
    }

    public record ModelCard(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {
    }

    /** A cancelled generation only reaches a client that is still there if the scheduler gave up; "stop" is the closest. */
    static String finishReason(FinishReason reason) {
        return reason == FinishReason.LENGTH ? "length" : "stop";
    }
}
