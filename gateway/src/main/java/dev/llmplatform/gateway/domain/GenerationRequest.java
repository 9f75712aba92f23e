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

    public sealed interface Input permits Chat, Prompt {

        /** Characters of text the model reads: what the gateway estimates prompt tokens from, before it knows. */
        int characters();
    }

    /** A chat completion: the scheduler applies the model's chat template. */
    public record Chat(List<ChatMessage> messages) implements Input {
        public Chat {
            messages = List.copyOf(messages);
        }

        @Override
        public int characters() {
            return messages.stream().mapToInt(m -> m.content().length() + m.role().length() + m.name().length()).sum();
        }
    }

    /** A legacy completion: raw text. */
    public record Prompt(String text) implements Input {
        @Override
        public int characters() {
            return text.length();
        }
    }

    /** @param name the optional participant name, empty when absent */
    public record ChatMessage(String role, String content, String name) {
    }
}
