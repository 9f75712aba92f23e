package dev.llmplatform.gateway.domain;

import java.util.List;
import java.util.Objects;

/** One generation as the gateway asks the scheduler for it, whichever OpenAI endpoint it came through. */
public record GenerationRequest(String requestId, String model, Input input, Sampling sampling, RoutingHints hints) {

    public GenerationRequest {
        Objects.requireNonNull(requestId);
        Objects.requireNonNull(model);
        Objects.requireNonNull(input);
        Objects.requireNonNull(sampling);
        Objects.requireNonNull(hints);
    }

    public sealed interface Input permits Chat, Prompt, TokenPrompt {

        /** Characters of text the model reads: what the gateway estimates prompt tokens from, before it knows. */
        int characters();
    }

    /**
     * A chat completion: the scheduler applies the model's chat template.
     *
     * @param toolsJson the OpenAI tools array the template renders, as JSON; empty for none
     */
    public record Chat(List<ChatMessage> messages, String toolsJson) implements Input {
        public Chat {
            messages = List.copyOf(messages);
        }

        public Chat(List<ChatMessage> messages) {
            this(messages, "");
        }

        @Override
        public int characters() {
            return toolsJson.length() + messages.stream().mapToInt(m -> m.content().length() + m.role().length()
                    + m.name().length() + m.toolCallsJson().length()).sum();
        }
    }

    /** A legacy completion: raw text. */
    public record Prompt(String text) implements Input {
        @Override
        public int characters() {
            return text.length();
        }
    }

    /** A legacy completion given as token ids of the model's vocabulary: no tokenizer call. */
    public record TokenPrompt(List<Integer> tokenIds) implements Input {
        public TokenPrompt {
            tokenIds = List.copyOf(tokenIds);
        }

        /** Four characters a token, the inverse of the gateway's estimate. */
        @Override
        public int characters() {
            return tokenIds.size() * 4;
        }
    }

    /**
     * @param name          the optional participant name, empty when absent
     * @param toolCallsJson an assistant message's tool_calls array as JSON, empty for none
     * @param toolCallId    a tool message's tool_call_id, empty for none
     */
    public record ChatMessage(String role, String content, String name, String toolCallsJson, String toolCallId) {

        public ChatMessage(String role, String content, String name) {
            this(role, content, name, "", "");
        }
    }
}
