package dev.llmplatform.tokenizer.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.proto.v1.ApplyChatTemplateRequest;
import dev.llmplatform.proto.v1.ChatMessage;
import dev.llmplatform.proto.v1.DetokenizeRequest;
import dev.llmplatform.proto.v1.TokenizeRequest;
import dev.llmplatform.proto.v1.TokenizerGrpc;
import dev.llmplatform.tokenizer.config.TokenCacheProperties;
import dev.llmplatform.tokenizer.config.TokenizerProperties;
import dev.llmplatform.tokenizer.domain.ModelTokenizer;
import dev.llmplatform.tokenizer.domain.Progress;
import dev.llmplatform.tokenizer.domain.TokenCache;
import dev.llmplatform.tokenizer.domain.Tokenizers;
import dev.llmplatform.tokenizer.infra.LlamaCppTokenizer;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The bounds on one call's work, over a real socket with the default model's tokenizer and the default limits. */
class TokenizerLimitsTest {

    private static final String MODEL = "tiny-kjv-chat";
    private static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf"));
    /** The defaults, as Spring binds them; only a single text may be as long as the whole call. */
    private static final TokenizerProperties PROPERTIES = new Binder(new MapConfigurationPropertySource(
            Map.of("tokenizer.max-text-chars", "2000000"))).bindOrCreate("tokenizer", TokenizerProperties.class);

    private static final String HELD = "held";

    private static Tokenizers tokenizers;
    private static HeldUntilCancelled held;
    private static SimpleMeterRegistry cacheMetrics;
    private static TokenizerGrpcService service;
    private static Server server;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        tokenizers = new Tokenizers();
        var real = new LlamaCppTokenizer(MODEL, GGUF);
        tokenizers.put(real);
        held = new HeldUntilCancelled(real);
        tokenizers.put(held);
        cacheMetrics = new SimpleMeterRegistry();
        service = new TokenizerGrpcService(tokenizers, PROPERTIES,
                new TokenCache(new TokenCacheProperties(1_000_000, Duration.ofMinutes(1)), cacheMetrics), new SimpleMeterRegistry());
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service)
                .maxInboundMessageSize(16 * 1024 * 1024).build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
                .maxInboundMessageSize(16 * 1024 * 1024).build();
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        server.shutdownNow();
        tokenizers.close();
    }

    private static TokenizerGrpc.TokenizerBlockingStub within(long millis) {
        return TokenizerGrpc.newBlockingStub(channel).withDeadlineAfter(millis, TimeUnit.MILLISECONDS);
    }

    private static ApplyChatTemplateRequest chat(int messages, String content) {
        var message = ChatMessage.newBuilder().setRole("user").setContent(content).build();
        return ApplyChatTemplateRequest.newBuilder().setModel(MODEL).setAddGenerationPrompt(true)
                .addAllMessages(Collections.nCopies(messages, message)).build();
    }

    private static double cacheMisses() {
        return cacheMetrics.counter("tokenizer.cache", "result", "miss").count();
    }

    @Test
    void refusesTwentyThousandMessagesQuicklyWithoutRenderingAnything() {
        double missesBefore = cacheMisses();

        // 20,000 empty messages kept the tokenizer busy for most of a minute before the limit
        assertThatThrownBy(() -> within(5_000).applyChatTemplate(chat(20_000, "")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("20000 messages exceed the limit of 4096");
                });
        assertThat(cacheMisses()).as("no template was rendered").isEqualTo(missesBefore);
    }

    @Test
    void refusesMessagesWhoseCharactersTogetherPassTheLimit() {
        String third = "a".repeat(700_000);

        assertThatThrownBy(() -> within(10_000).applyChatTemplate(chat(3, third)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("2100012 characters exceed the limit of 2000000");
                });
    }

    @Test
    void refusesToDetokenizeMoreIdsThanTheTokenLimit() {
        var request = DetokenizeRequest.newBuilder().setModel(MODEL).addAllTokenIds(Collections.nCopies(1_000_001, 1)).build();

        assertThatThrownBy(() -> within(10_000).detokenize(request))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("1000001 token ids exceed the limit of 1000000");
                });
    }

    @Test
    void stopsTokenizingOnceTheOutputPassesTheTokenLimit() throws Exception {
        var small = new TokenizerGrpcService(tokenizers,
                new TokenizerProperties("static://unused", Duration.ofSeconds(1), 2_000_000, new TokenizerProperties.Limits(4096, 2_000_000, 1_000), null, null),
                new TokenCache(new TokenCacheProperties(1_000_000, Duration.ofMinutes(1)), new SimpleMeterRegistry()), new SimpleMeterRegistry());
        Server limited = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(small).build().start();
        ManagedChannel toLimited = NettyChannelBuilder.forAddress("127.0.0.1", limited.getPort()).usePlaintext().build();
        try {
            var request = TokenizeRequest.newBuilder().setModel(MODEL).setText("In the beginning God created the heaven.\n".repeat(500)).build();

            assertThatThrownBy(() -> TokenizerGrpc.newBlockingStub(toLimited).withDeadlineAfter(10, TimeUnit.SECONDS).tokenize(request))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).startsWith("the input gives more than 1000 tokens, the limit");
                    });
        } finally {
            toLimited.shutdownNow();
            limited.shutdownNow();
        }
    }

    @Test
    void abandonsTheWorkOfACallWhoseDeadlinePassed() throws Exception {
        double abandonedBefore = service.abandonedCalls();
        var request = chat(10, "And God said, Let there be light: and there was light.").toBuilder().setModel(HELD).build();

        assertThatThrownBy(() -> within(2_000).applyChatTemplate(request))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));

        assertThat(held.entered.tryAcquire(30, TimeUnit.SECONDS)).as("the call reached the tokenizer").isTrue();
        awaitAbandoned(abandonedBefore + 1);
        assertThat(held.renderedUntilTheEnd).as("the template was not rendered for nobody").isFalse();
    }

    @Test
    void abandonsTheWorkOfACallItsCallerCancelled() throws Exception {
        double abandonedBefore = service.abandonedCalls();
        // just under the limits: 4,000 messages, 1.8 million characters
        var request = chat(4_000, "And God said, Let there be light: and there was light. ".repeat(8)).toBuilder().setModel(HELD).build();
        Context.CancellableContext caller = Context.current().withCancellation();
        var outcome = new CompletableFuture<Throwable>();
        Thread.ofVirtual().start(() -> caller.run(() -> {
            try {
                within(60_000).applyChatTemplate(request);
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        }));

        assertThat(held.entered.tryAcquire(30, TimeUnit.SECONDS)).as("the call reached the tokenizer").isTrue();
        caller.cancel(null);

        assertThat(outcome.get(30, TimeUnit.SECONDS)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
        awaitAbandoned(abandonedBefore + 1);
        assertThat(held.renderedUntilTheEnd).as("the template was not rendered for nobody").isFalse();
    }

    private static void awaitAbandoned(double expected) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (service.abandonedCalls() < expected && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(service.abandonedCalls()).as("the service stopped the call's work").isEqualTo(expected);
    }

    /** The real tokenizer under another name, holding each chat template until its call is cancelled, as a slow one would. */
    private static final class HeldUntilCancelled implements ModelTokenizer {

        private final ModelTokenizer real;
        private final Semaphore entered = new Semaphore(0);
        private volatile boolean renderedUntilTheEnd;

        HeldUntilCancelled(ModelTokenizer real) {
            this.real = real;
        }

        @Override
        public String applyChatTemplate(List<Message> messages, boolean addGenerationPrompt, Progress progress) {
            entered.release();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Context.current().isCancelled() && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            String prompt = real.applyChatTemplate(messages, addGenerationPrompt, progress);
            renderedUntilTheEnd = true;
            return prompt;
        }

        @Override
        public String applyChatTemplate(List<Message> messages, boolean addGenerationPrompt) {
            return applyChatTemplate(messages, addGenerationPrompt, Progress.NONE);
        }

        @Override
        public String modelId() {
            return HELD;
        }

        @Override
        public int[] encode(String text, boolean addSpecial) {
            return real.encode(text, addSpecial);
        }

        @Override
        public int[] encode(String text, boolean addSpecial, Progress progress) {
            return real.encode(text, addSpecial, progress);
        }

        @Override
        public byte[] decodeBytes(int[] tokenIds) {
            return real.decodeBytes(tokenIds);
        }

        @Override
        public int vocabularySize() {
            return real.vocabularySize();
        }

        @Override
        public void close() {
            // the real one is closed with its own name
        }
    }
}
