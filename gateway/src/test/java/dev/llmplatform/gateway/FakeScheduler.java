package dev.llmplatform.gateway;

import dev.llmplatform.gateway.infra.SchedulerClient;
import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.ListServedModelsRequest;
import dev.llmplatform.proto.v1.ListServedModelsResponse;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import dev.llmplatform.proto.v1.ServedModel;
import dev.llmplatform.proto.v1.Usage;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A stand-in for the scheduler's gRPC API on a real socket, scripted by model name:
 * "tiny" streams "Hello", ", ", "world" and stops; "tiny-long" does the same but hits max_tokens;
 * "missing" is unknown (NOT_FOUND); "busy" is saturated (RESOURCE_EXHAUSTED);
 * "offline" has no worker (UNAVAILABLE); "endless" streams until
 * cancelled; "flaky" fails after its first chunk; "silent" never answers; "slowpoke" streams slowly for 3 s;
 * "down" is UNAVAILABLE like a scheduler replica going away (counted in downCalls); "no-worker" is the scheduler's own
 * refusal when no worker is ready: UNAVAILABLE with a retry-after-seconds trailer of 3 (counted in noWorkerCalls).
 * Its gRPC health service answers NOT_SERVING until {@link #serving(boolean)} says otherwise.
 */
final class FakeScheduler extends SchedulerGrpc.SchedulerImplBase {

    final AtomicReference<ScheduleGenerateRequest> lastRequest = new AtomicReference<>();
    final java.util.Queue<ScheduleGenerateRequest> requests = new java.util.concurrent.ConcurrentLinkedQueue<>();
    final java.util.concurrent.atomic.AtomicInteger downCalls = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger noWorkerCalls = new java.util.concurrent.atomic.AtomicInteger();
    private final io.grpc.protobuf.services.HealthStatusManager health = new io.grpc.protobuf.services.HealthStatusManager();
    final AtomicReference<String> lastRequestIdHeader = new AtomicReference<>();
    final CountDownLatch endlessCancelled = new CountDownLatch(1);
    final java.util.concurrent.atomic.AtomicInteger endlessCancellations = new java.util.concurrent.atomic.AtomicInteger();

    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    private final Server server;

    private FakeScheduler() {
        ServerInterceptor captureHeaders = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                lastRequestIdHeader.set(headers.get(SchedulerClient.REQUEST_ID));
                return next.startCall(call, headers);
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(this, captureHeaders))
                .addService(health.getHealthService())
                .build();
        serving(false);
    }

    static FakeScheduler start() {
        var fake = new FakeScheduler();
        try {
            fake.server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fake;
    }

    void serving(boolean serving) {
        health.setStatus("", serving ? io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING
                : io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING);
    }

    String target() {
        return "static://127.0.0.1:" + server.getPort();
    }

    void stop() {
        ticker.shutdownNow();
        server.shutdownNow();
    }

    @Override
    public void generate(ScheduleGenerateRequest request, StreamObserver<ScheduleGenerateChunk> responses) {
        lastRequest.set(request);
        requests.add(request);
        switch (request.getModel()) {
            case "tiny" -> script(responses, FinishReason.FINISH_REASON_STOP);
            case "tiny-long" -> script(responses, FinishReason.FINISH_REASON_LENGTH);
            case "missing" -> responses.onError(Status.NOT_FOUND.withDescription("model 'missing' is not served").asRuntimeException());
            case "offline" -> responses.onError(Status.UNAVAILABLE.withDescription("no ready worker serves 'offline'").asRuntimeException());
            case "busy" -> {
                var trailers = new Metadata();
                trailers.put(Metadata.Key.of("retry-after-seconds", Metadata.ASCII_STRING_MARSHALLER), "7");
                responses.onError(Status.RESOURCE_EXHAUSTED.withDescription("all workers are busy").asRuntimeException(trailers));
            }
            case "down" -> {
                downCalls.incrementAndGet();
                responses.onError(Status.UNAVAILABLE.withDescription("scheduler replica is shutting down").asRuntimeException());
            }
            case "no-worker" -> {
                noWorkerCalls.incrementAndGet();
                var trailers = new Metadata();
                trailers.put(Metadata.Key.of("retry-after-seconds", Metadata.ASCII_STRING_MARSHALLER), "3");
                responses.onError(Status.UNAVAILABLE.withDescription("no ready worker serves model 'no-worker'").asRuntimeException(trailers));
            }
            case "silent" -> { } // never answers: only the gateway's first-token limit ends the call
            case "slowpoke" -> slowpoke(responses);
            case "flaky" -> {
                responses.onNext(ScheduleGenerateChunk.newBuilder().setText("Hel").setTokenCount(1).build());
                responses.onError(Status.INTERNAL.withDescription("worker w1 crashed: secret stack").asRuntimeException());
            }
            case "endless" -> endless((ServerCallStreamObserver<ScheduleGenerateChunk>) responses);
            default -> responses.onError(Status.NOT_FOUND.withDescription("unknown model").asRuntimeException());
        }
    }

    @Override
    public void listServedModels(ListServedModelsRequest request, StreamObserver<ListServedModelsResponse> responses) {
        responses.onNext(ListServedModelsResponse.newBuilder()
                .addModels(ServedModel.newBuilder().setId("tiny").setOwnedBy("llm-platform").setCreatedEpochSeconds(1_700_000_000L)
                        .setContextLength(2048).addWorkerIds("w1"))
                .addModels(ServedModel.newBuilder().setId("acme/big").setOwnedBy("acme").setCreatedEpochSeconds(1_710_000_000L))
                .build());
        responses.onCompleted();
    }

    private static void script(StreamObserver<ScheduleGenerateChunk> responses, FinishReason finish) {
        responses.onNext(ScheduleGenerateChunk.newBuilder().setText("Hello").setTokenCount(1).setWorkerId("w1").build());
        responses.onNext(ScheduleGenerateChunk.newBuilder().setText(", ").setTokenCount(1).build());
        responses.onNext(ScheduleGenerateChunk.newBuilder().setText("world").setTokenCount(1).setFinishReason(finish)
                .setUsage(Usage.newBuilder().setPromptTokens(7).setCompletionTokens(3).setTotalTokens(10)).build());
        responses.onCompleted();
    }

    /** Ten chunks 300 ms apart: a stream that lasts longer than a short first-token limit. */
    private void slowpoke(StreamObserver<ScheduleGenerateChunk> responses) {
        for (int i = 0; i < 10; i++) {
            boolean last = i == 9;
            ticker.schedule(() -> {
                var chunk = ScheduleGenerateChunk.newBuilder().setText("z").setTokenCount(1);
                if (last) {
                    chunk.setFinishReason(FinishReason.FINISH_REASON_STOP)
                            .setUsage(Usage.newBuilder().setPromptTokens(2).setCompletionTokens(10).setTotalTokens(12));
                }
                responses.onNext(chunk.build());
                if (last) {
                    responses.onCompleted();
                }
            }, 300L * (i + 1), TimeUnit.MILLISECONDS);
        }
    }

    private void endless(ServerCallStreamObserver<ScheduleGenerateChunk> responses) {
        responses.setOnCancelHandler(() -> {
            endlessCancellations.incrementAndGet();
            endlessCancelled.countDown();
        });
        var tick = new Runnable() {
            @Override
            public void run() {
                if (responses.isCancelled()) {
                    return;
                }
                responses.onNext(ScheduleGenerateChunk.newBuilder().setText("la ").setTokenCount(1).build());
                ticker.schedule(this, 50, TimeUnit.MILLISECONDS);
            }
        };
        ticker.execute(tick);
    }
}
