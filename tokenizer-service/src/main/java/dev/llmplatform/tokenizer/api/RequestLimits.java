package dev.llmplatform.tokenizer.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.proto.v1.ChatMessage;
import dev.llmplatform.tokenizer.config.TokenizerProperties;
import dev.llmplatform.tokenizer.domain.Progress;
import io.grpc.Context;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * What one call may ask of the tokenizer. Sizes are checked before any work starts; the token count and the
 * caller's presence are checked while the work runs, so that a call whose client has gone (cancelled, or past
 * its deadline) stops instead of running on for nobody. Counts stopped calls as {@code tokenizer.abandoned}.
 */
final class RequestLimits {

    private final TokenizerProperties.Limits limits;
    private final Counter abandoned;

    RequestLimits(TokenizerProperties.Limits limits, MeterRegistry registry) {
        this.limits = limits;
        this.abandoned = Counter.builder("tokenizer.abandoned")
                .description("Tokenizer calls whose work stopped because the caller cancelled or its deadline passed")
                .register(registry);
    }

    void checkMessages(List<ChatMessage> messages) {
        if (messages.size() > limits.maxMessages()) {
            throw GrpcStatuses.invalidArgument(messages.size() + " messages exceed the limit of " + limits.maxMessages());
        }
        long characters = 0;
        for (ChatMessage message : messages) {
            characters += message.getRole().length() + message.getContent().length() + message.getToolCallsJson().length()
                    + message.getToolCallId().length();
        }
        checkCharacters(characters);
    }

    void checkCharacters(long characters) {
        if (characters > limits.maxCharacters()) {
            throw GrpcStatuses.invalidArgument(characters + " characters exceed the limit of " + limits.maxCharacters());
        }
    }

    void checkTokenIds(int count) {
        if (count > limits.maxTokens()) {
            throw GrpcStatuses.invalidArgument(count + " token ids exceed the limit of " + limits.maxTokens());
        }
    }

    /** Watches the current call: stops the work when its caller is gone or its output passes the token limit. */
    Progress progressOfCurrentCall() {
        Context call = Context.current();
        return tokens -> {
            if (call.isCancelled()) {
                abandoned.increment();
                throw (call.cancellationCause() instanceof TimeoutException
                        ? Status.DEADLINE_EXCEEDED.withDescription("the caller's deadline passed; the work was abandoned")
                        : Status.CANCELLED.withDescription("the caller cancelled; the work was abandoned")).asRuntimeException();
            }
            if (tokens > limits.maxTokens()) {
                throw GrpcStatuses.invalidArgument("the input gives more than " + limits.maxTokens()
                        + " tokens, the limit (stopped at " + tokens + ")");
            }
        };
    }

    double abandonedCalls() {
        return abandoned.count();
    }
}
