package dev.llmplatform.scheduler.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.proto.v1.ApplyChatTemplateRequest;
import dev.llmplatform.proto.v1.ApplyChatTemplateResponse;
import dev.llmplatform.proto.v1.ChatMessage;
import dev.llmplatform.proto.v1.TokenizerGrpc;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.grpc.client.ChannelBuilderOptions;
import org.springframework.grpc.client.GrpcChannelFactory;

/** The scheduler's tokenizer calls carry the incoming request's deadline and end when its caller cancels. */
class TokenizerClientTest {

    private static final List<ChatMessage> CHAT = List.of(ChatMessage.newBuilder().setRole("user").setContent("Hi").build());

    /** A tokenizer that refuses model "huge" as over its limits and holds every other call until it is cancelled. */
    private final class HoldingTokenizer extends TokenizerGrpc.TokenizerImplBase {
        @Override
        public void applyChatTemplate(ApplyChatTemplateRequest request, StreamObserver<ApplyChatTemplateResponse> responses) {
            if (request.getModel().equals("huge")) {
                responses.onError(Status.INVALID_ARGUMENT.withDescription("20000 messages exceed the limit of 4096").asRuntimeException());
                return;
            }
            var deadline = Context.current().getDeadline();
            seenDeadlineMillis.set(deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS));
            ((ServerCallStreamObserver<ApplyChatTemplateResponse>) responses).setOnCancelHandler(cancelled::countDown);
            received.countDown();
        }
    }

    private final AtomicLong seenDeadlineMillis = new AtomicLong();
    private final CountDownLatch received = new CountDownLatch(1);
    private final CountDownLatch cancelled = new CountDownLatch(1);
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private Server server;
    private TokenizerClient client;

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new HoldingTokenizer()).build().start();
        var properties = new Binder(new MapConfigurationPropertySource(Map.of("scheduler.tokenizer-timeout", "10s")))
                .bindOrCreate("scheduler", SchedulerProperties.class);
        client = new TokenizerClient(properties, new GrpcChannelFactory() {
            @Override
            public boolean supports(String target) {
                return true;
            }

            @Override
            public ManagedChannel createChannel(String target, ChannelBuilderOptions options) {
                var channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
                channels.add(channel);
                return channel;
            }
        });
    }

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        server.shutdownNow();
        timer.shutdownNow();
    }

    @Test
    void theTokenizerCallEndsAtTheIncomingRequestsDeadlineNotAtTheTokenizerTimeout() throws Exception {
        Context.CancellableContext request = Context.current().withDeadlineAfter(500, TimeUnit.MILLISECONDS, timer);
        try {
            assertThatThrownBy(() -> request.call(() -> client.chatPrompt("tiny", CHAT, "")))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        } finally {
            request.cancel(null);
        }

        assertThat(received.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(seenDeadlineMillis.get()).as("the deadline the tokenizer saw").isBetween(0L, 500L);
        assertThat(cancelled.await(10, TimeUnit.SECONDS)).as("the tokenizer's call was cancelled").isTrue();
    }

    @Test
    void aCallerWhoCancelsCancelsTheTokenizerCall() throws Exception {
        Context.CancellableContext request = Context.current().withCancellation();
        var outcome = new CompletableFuture<Throwable>();
        Thread.ofVirtual().start(() -> request.run(() -> {
            try {
                client.chatPrompt("tiny", CHAT, "");
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        }));
        assertThat(received.await(10, TimeUnit.SECONDS)).isTrue();

        request.cancel(null);

        assertThat(cancelled.await(10, TimeUnit.SECONDS)).as("the tokenizer's call was cancelled").isTrue();
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
        assertThat(seenDeadlineMillis.get()).as("without a deadline of its own, the tokenizer timeout applies").isBetween(1L, 10_000L);
    }

    @Test
    void theTokenizersRefusalOfOversizedInputComesBackAsItsOwnInvalidArgument() {
        assertThatThrownBy(() -> client.chatPrompt("huge", CHAT, "")).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).isEqualTo("20000 messages exceed the limit of 4096");
        });
    }
}
