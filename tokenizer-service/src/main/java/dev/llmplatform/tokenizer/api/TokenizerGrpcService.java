package dev.llmplatform.tokenizer.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.proto.v1.ApplyChatTemplateRequest;
import dev.llmplatform.proto.v1.ApplyChatTemplateResponse;
import dev.llmplatform.proto.v1.CountTokensResponse;
import dev.llmplatform.proto.v1.DetokenizeRequest;
import dev.llmplatform.proto.v1.DetokenizeResponse;
import dev.llmplatform.proto.v1.DetokenizeStreamRequest;
import dev.llmplatform.proto.v1.DetokenizeStreamResponse;
import dev.llmplatform.proto.v1.TokenizeRequest;
import dev.llmplatform.proto.v1.TokenizeResponse;
import dev.llmplatform.proto.v1.TokenizerGrpc;
import dev.llmplatform.tokenizer.config.TokenizerProperties;
import dev.llmplatform.tokenizer.domain.IncrementalDetokenizer;
import dev.llmplatform.tokenizer.domain.ModelTokenizer;
import dev.llmplatform.tokenizer.domain.TokenCache;
import dev.llmplatform.tokenizer.domain.Tokenizers;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.springframework.stereotype.Service;

@Service
public class TokenizerGrpcService extends TokenizerGrpc.TokenizerImplBase {

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private final Tokenizers tokenizers;
    private final TokenizerProperties properties;
    private final TokenCache cache;
    private final RequestLimits limits;

    public TokenizerGrpcService(Tokenizers tokenizers, TokenizerProperties properties, TokenCache cache, MeterRegistry registry) {
        this.tokenizers = tokenizers;
        this.properties = properties;
        this.cache = cache;
        this.limits = new RequestLimits(properties.limits(), registry);
    }

    @Override
    public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> responses) {
        answer(responses, () -> {
            int[] ids = encode(request);
            return TokenizeResponse.newBuilder().addAllTokenIds(Arrays.stream(ids).boxed().toList()).build();
        });
    }

    @Override
    public void countTokens(TokenizeRequest request, StreamObserver<CountTokensResponse> responses) {
        answer(responses, () -> CountTokensResponse.newBuilder().setCount(encode(request).length).build());
    }

    private int[] encode(TokenizeRequest request) {
        ModelTokenizer tokenizer = tokenizer(request.getModel());
        String text = text(request.getText());
        limits.checkCharacters(text.length());
        return cache.encode(tokenizer, text, request.getAddSpecialTokens(), limits.progressOfCurrentCall());
    }

    @Override
    public void detokenize(DetokenizeRequest request, StreamObserver<DetokenizeResponse> responses) {
        answer(responses, () -> {
            ModelTokenizer tokenizer = tokenizer(request.getModel());
            limits.checkTokenIds(request.getTokenIdsCount());
            int[] ids = validIds(tokenizer, request.getTokenIdsList());
            return DetokenizeResponse.newBuilder()
                    .setText(new String(tokenizer.decodeBytes(ids), StandardCharsets.UTF_8)).build();
        });
    }

    @Override
    public void applyChatTemplate(ApplyChatTemplateRequest request, StreamObserver<ApplyChatTemplateResponse> responses) {
        answer(responses, () -> {
            ModelTokenizer tokenizer = tokenizer(request.getModel());
            if (request.getMessagesCount() == 0) {
                throw GrpcStatuses.invalidArgument("messages must not be empty");
            }
            // before anything is copied or rendered: the cost of what follows grows with these sizes
            limits.checkMessages(request.getMessagesList());
            limits.checkCharacters(request.getToolsJson().length());
            var messages = request.getMessagesList().stream().map(m -> {
                if (!ROLES.contains(m.getRole())) {
                    throw GrpcStatuses.invalidArgument("unknown role '" + m.getRole() + "'; expected one of " + ROLES);
                }
                return new ModelTokenizer.Message(m.getRole(), text(m.getContent()), m.getToolCallsJson(), m.getToolCallId());
            }).toList();
            TokenCache.ChatPrompt chat;
            try {
                chat = cache.chatPrompt(tokenizer, messages, request.getToolsJson(), request.getAddGenerationPrompt(),
                        limits.progressOfCurrentCall());
            } catch (IllegalArgumentException e) {
                throw GrpcStatuses.invalidArgument(String.valueOf(e.getMessage()));
            }
            return ApplyChatTemplateResponse.newBuilder().setPrompt(chat.prompt())
                    .addAllTokenIds(Arrays.stream(chat.tokenIds()).boxed().toList()).build();
        });
    }

    @Override
    public StreamObserver<DetokenizeStreamRequest> detokenizeStream(StreamObserver<DetokenizeStreamResponse> responses) {
        return new StreamObserver<>() {
            private ModelTokenizer tokenizer;
            private IncrementalDetokenizer detokenizer;
            private boolean failed;

            @Override
            public void onNext(DetokenizeStreamRequest request) {
                if (failed) {
                    return;
                }
                try {
                    if (detokenizer == null) {
                        tokenizer = tokenizer(request.getModel());
                        detokenizer = new IncrementalDetokenizer(tokenizer);
                    }
                    String delta = detokenizer.next(validIds(tokenizer, request.getTokenIdsList()));
                    if (!delta.isEmpty()) {
                        responses.onNext(DetokenizeStreamResponse.newBuilder().setTextDelta(delta).build());
                    }
                } catch (StatusRuntimeException e) {
                    failed = true;
                    responses.onError(e);
                }
            }

            @Override
            public void onError(Throwable t) {
                // the caller cancelled; nothing to clean up
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                if (detokenizer != null) {
                    String rest = detokenizer.finish();
                    if (!rest.isEmpty()) {
                        responses.onNext(DetokenizeStreamResponse.newBuilder().setTextDelta(rest).build());
                    }
                }
                responses.onCompleted();
            }
        };
    }

    private ModelTokenizer tokenizer(String model) {
        if (model.isBlank()) {
            throw GrpcStatuses.invalidArgument("model is required");
        }
        if (tokenizers.isEmpty()) {
            // just started (its gRPC port answers before its first tokenizer is loaded): a model unknown now may not be
            // unknown in a second, so this is a retry, not a 404
            throw GrpcStatuses.unavailable("the tokenizer service has not loaded its tokenizers yet", 1);
        }
        return tokenizers.get(model).orElseThrow(() -> GrpcStatuses.notFound("no tokenizer is loaded for model '" + model + "'"));
    }

    private String text(String text) {
        if (text.length() > properties.maxTextChars()) {
            throw GrpcStatuses.invalidArgument("text has " + text.length() + " characters; the limit is " + properties.maxTextChars());
        }
        return text;
    }

    private static int[] validIds(ModelTokenizer tokenizer, List<Integer> ids) {
        int size = tokenizer.vocabularySize();
        for (int id : ids) {
            if (id < 0 || (size > 0 && id >= size)) {
                throw GrpcStatuses.invalidArgument("token id " + id + " is outside the vocabulary of " + size + " tokens");
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Calls stopped because their caller was gone (for tests and the metric's readers). */
    double abandonedCalls() {
        return limits.abandonedCalls();
    }

    private static <T> void answer(StreamObserver<T> responses, java.util.function.Supplier<T> call) {
        T response;
        try {
            response = call.get();
        } catch (RuntimeException e) {
            responses.onError(GrpcStatuses.from(e));
            return;
        }
        responses.onNext(response);
        responses.onCompleted();
    }
}
