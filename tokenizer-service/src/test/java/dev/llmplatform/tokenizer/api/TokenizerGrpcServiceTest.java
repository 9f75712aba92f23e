package dev.llmplatform.tokenizer.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.proto.v1.ApplyChatTemplateRequest;
import dev.llmplatform.proto.v1.ChatMessage;
import dev.llmplatform.proto.v1.DetokenizeRequest;
import dev.llmplatform.proto.v1.DetokenizeStreamRequest;
import dev.llmplatform.proto.v1.DetokenizeStreamResponse;
import dev.llmplatform.proto.v1.TokenizeRequest;
import dev.llmplatform.proto.v1.TokenizerGrpc;
import dev.llmplatform.tokenizer.config.TokenCacheProperties;
import dev.llmplatform.tokenizer.config.TokenizerProperties;
import dev.llmplatform.tokenizer.domain.TokenCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.llmplatform.tokenizer.domain.Tokenizers;
import dev.llmplatform.tokenizer.infra.LlamaCppTokenizer;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tokenizer service over a real socket with the default model's own tokenizer. */
class TokenizerGrpcServiceTest {

    private static final String MODEL = "tiny-kjv-chat";
    private static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf"));

    private static Tokenizers tokenizers;
    private static Server server;
    private static ManagedChannel channel;
    private static TokenizerGrpc.TokenizerBlockingStub tokenizer;

    @BeforeAll
    static void start() throws Exception {
        tokenizers = new Tokenizers();
        tokenizers.put(new LlamaCppTokenizer(MODEL, GGUF));
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new TokenizerGrpcService(tokenizers, new TokenizerProperties("static://unused", Duration.ofSeconds(1), 10_000,
                        new TokenizerProperties.Limits(4096, 2_000_000, 1_000_000), null, null),
                        new TokenCache(new TokenCacheProperties(1_000_000, Duration.ofMinutes(1)), new SimpleMeterRegistry()),
                        new SimpleMeterRegistry()))
                .build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        tokenizer = TokenizerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        server.shutdownNow();
        tokenizers.close();
    }

    @Test
    void tokenizingThenDetokenizingGivesTheTextBack() {
        String text = "And God said, Let there be light: and there was light.";
        var ids = tokenizer.tokenize(TokenizeRequest.newBuilder().setModel(MODEL).setText(text).build()).getTokenIdsList();

        assertThat(ids).isNotEmpty().hasSizeLessThan(text.length());
        assertThat(tokenizer.detokenize(DetokenizeRequest.newBuilder().setModel(MODEL).addAllTokenIds(ids).build()).getText())
                .isEqualTo(text);
    }

    @Test
    void theChatTemplateIsTheModelsOwnAndItsMarkersAreSingleSpecialTokens() {
        var response = tokenizer.applyChatTemplate(ApplyChatTemplateRequest.newBuilder().setModel(MODEL)
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent("Recite Genesis 1:1"))
                .setAddGenerationPrompt(true).build());

        assertThat(response.getPrompt()).isEqualTo("<|im_start|>user\nRecite Genesis 1:1<|im_end|>\n<|im_start|>assistant\n");
        var markers = tokenizer.tokenize(TokenizeRequest.newBuilder().setModel(MODEL).setText("<|im_start|><|im_end|>").build());
        assertThat(markers.getTokenIdsCount()).isEqualTo(2);
        assertThat(response.getTokenIdsList()).startsWith(markers.getTokenIds(0)).contains(markers.getTokenIds(1));
    }

    @Test
    void streamedDetokenizationAddsUpToTheWholeText() throws Exception {
        String text = "In the beginning God created the heaven and the earth.";
        var ids = tokenizer.tokenize(TokenizeRequest.newBuilder().setModel(MODEL).setText(text).build()).getTokenIdsList();
        var result = new CompletableFuture<String>();
        var collected = new StringBuilder();
        var requests = TokenizerGrpc.newStub(channel).detokenizeStream(new StreamObserver<>() {
            @Override
            public void onNext(DetokenizeStreamResponse value) {
                collected.append(value.getTextDelta());
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.complete(collected.toString());
            }
        });
        for (int id : ids) {
            requests.onNext(DetokenizeStreamRequest.newBuilder().setModel(MODEL).addTokenIds(id).build());
        }
        requests.onCompleted();

        String whole = tokenizer.detokenize(DetokenizeRequest.newBuilder().setModel(MODEL).addAllTokenIds(ids).build()).getText();
        assertThat(whole).isEqualTo(text);
        assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo(whole);
    }

    @Test
    void beforeItsFirstTokenizerIsLoadedEveryModelIsUnavailableWithARetryHintNotNotFound() {
        var empty = new TokenizerGrpcService(new Tokenizers(), new TokenizerProperties("static://unused", Duration.ofSeconds(1), 10_000,
                new TokenizerProperties.Limits(4096, 2_000_000, 1_000_000), null, null),
                new TokenCache(new TokenCacheProperties(1_000_000, Duration.ofMinutes(1)), new SimpleMeterRegistry()), new SimpleMeterRegistry());
        var observed = new java.util.concurrent.CompletableFuture<Throwable>();
        empty.tokenize(TokenizeRequest.newBuilder().setModel(MODEL).setText("x").build(), new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(dev.llmplatform.proto.v1.TokenizeResponse value) {
                observed.complete(null);
            }

            @Override
            public void onError(Throwable t) {
                observed.complete(t);
            }

            @Override
            public void onCompleted() {
                observed.complete(null);
            }
        });

        Throwable error = observed.join();
        assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(Status.trailersFromThrowable(error).get(dev.llmplatform.commons.grpc.GrpcStatuses.RETRY_AFTER_SECONDS)).isEqualTo("1");
    }

    @Test
    void anUnknownModelIsNotFoundAndATokenOutsideTheVocabularyIsInvalid() {
        assertThatThrownBy(() -> tokenizer.tokenize(TokenizeRequest.newBuilder().setModel("nope").setText("x").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThatThrownBy(() -> tokenizer.detokenize(DetokenizeRequest.newBuilder().setModel(MODEL).addAllTokenIds(List.of(1, 99_999_999)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThatThrownBy(() -> tokenizer.applyChatTemplate(ApplyChatTemplateRequest.newBuilder().setModel(MODEL)
                .addMessages(ChatMessage.newBuilder().setRole("wizard").setContent("x")).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
}
