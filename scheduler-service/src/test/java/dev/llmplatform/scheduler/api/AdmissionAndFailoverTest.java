package dev.llmplatform.scheduler.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.proto.v1.PromptTokenIds;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import dev.llmplatform.proto.v1.TokenizeRequest;
import dev.llmplatform.proto.v1.TokenizeResponse;
import dev.llmplatform.proto.v1.TokenizerGrpc;
import dev.llmplatform.proto.v1.Usage;
import dev.llmplatform.proto.v1.WatchLoadRequest;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import dev.llmplatform.scheduler.domain.AffinityIndex;
import dev.llmplatform.scheduler.domain.OutputLengths;
import dev.llmplatform.scheduler.domain.PlacementPolicies;
import dev.llmplatform.scheduler.infra.AdmissionControl;
import dev.llmplatform.scheduler.infra.EmbeddingRelay;
import dev.llmplatform.scheduler.infra.GenerationRelay;
import dev.llmplatform.scheduler.infra.PoolStatistics;
import dev.llmplatform.scheduler.infra.RegisteredModels;
import dev.llmplatform.scheduler.infra.SchedulerMetrics;
import dev.llmplatform.scheduler.infra.TokenizerClient;
import dev.llmplatform.scheduler.infra.WorkerPool;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.grpc.client.ChannelBuilderOptions;
import org.springframework.grpc.client.GrpcChannelFactory;

/**
 * The scheduler's gRPC API over loopback in front of scripted workers (one slot each, no queue of their own) and a
 * scripted tokenizer: what happens when the pool is full, when no worker is ready, when a worker fails before its
 * first token, and when it fails mid-stream.
 */
@Timeout(60)
class AdmissionAndFailoverTest {

    /** A worker that holds each generation until the test releases it, or fails each one at once. */
    static final class ScriptedWorker extends InferenceWorkerGrpc.InferenceWorkerImplBase {
        final String id;
        final boolean failing;
        volatile boolean ready = true;
        final BlockingQueue<Held> held = new LinkedBlockingQueue<>();

        record Held(WorkerGenerateRequest request, StreamObserver<WorkerGenerateChunk> stream) {
            /** Streams one chunk of text with the ids of the tokens it carries. */
            void send(String text, Integer... tokenIds) {
                stream.onNext(WorkerGenerateChunk.newBuilder().setText(text).setTokenCount(tokenIds.length)
                        .addAllTokenIds(List.of(tokenIds)).build());
            }

            /** Ends the stream as a worker does, usage counting what the request had generated before it came here. */
            void end(int completionTokens) {
                stream.onNext(WorkerGenerateChunk.newBuilder().setFinishReason(FinishReason.FINISH_REASON_STOP)
                        .setUsage(Usage.newBuilder().setPromptTokens(request.getPromptTokenIdsCount())
                                .setCompletionTokens(completionTokens)
                                .setTotalTokens(request.getPromptTokenIdsCount() + completionTokens)).build());
                stream.onCompleted();
            }

            /** What a worker's stream does when the worker dies. */
            void die() {
                stream.onError(Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException());
            }

            void finish() {
                stream.onNext(WorkerGenerateChunk.newBuilder().setText("amen").setTokenCount(1).build());
                stream.onNext(WorkerGenerateChunk.newBuilder().setFinishReason(FinishReason.FINISH_REASON_STOP)
                        .setUsage(Usage.newBuilder().setPromptTokens(request.getPromptTokenIdsCount()).setCompletionTokens(1)).build());
                stream.onCompleted();
            }
        }

        ScriptedWorker(String id, boolean failing) {
            this.id = id;
            this.failing = failing;
        }

        @Override
        public void generate(WorkerGenerateRequest request, StreamObserver<WorkerGenerateChunk> responses) {
            if (failing) {
                responses.onError(Status.UNAVAILABLE.withDescription(id + " is going away").asRuntimeException());
            } else {
                held.add(new Held(request, responses));
            }
        }

        @Override
        public void watchLoad(WatchLoadRequest request, StreamObserver<LoadReport> responses) {
            // one report now and one whenever the scheduler asks again; enough for these tests
            Thread.ofVirtual().start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        responses.onNext(LoadReport.newBuilder().setWorkerId(id).setDeviceClass(DeviceClass.DEVICE_CLASS_CPU)
                                .addModels(LoadedModel.newBuilder().setId("m").setContextLength(512))
                                .setRunning(held.size()).setSlots(1).setMaxWaiting(0).setReady(ready).build());
                        Thread.sleep(50);
                    }
                } catch (InterruptedException | RuntimeException streamGone) {
                    // the scheduler went away
                }
            });
        }
    }

    static final class ScriptedTokenizer extends TokenizerGrpc.TokenizerImplBase {
        @Override
        public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> responses) {
            responses.onNext(TokenizeResponse.newBuilder().addAllTokenIds(request.getText().chars().boxed().toList()).build());
            responses.onCompleted();
        }
    }

    private final List<Server> servers = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private WorkerPool pool;
    private final RegisteredModels registered = RegisteredModels.none();

    private Server serve(io.grpc.BindableService... services) throws Exception {
        var builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
        for (var service : services) {
            builder.addService(service);
        }
        Server server = builder.build().start();
        servers.add(server);
        return server;
    }

    /** Starts the workers, the tokenizer and the scheduler; returns a stub of the scheduler. */
    private SchedulerGrpc.SchedulerStub scheduler(ScriptedWorker... workers) throws Exception {
        Map<String, Integer> ports = new java.util.HashMap<>();
        ports.put("tokenizer", serve(new ScriptedTokenizer()).getPort());
        List<SchedulerProperties.Worker> configured = new ArrayList<>();
        for (ScriptedWorker worker : workers) {
            var health = new HealthStatusManager();
            health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
            ports.put(worker.id, serve(worker, health.getHealthService()).getPort());
            configured.add(new SchedulerProperties.Worker(worker.id, worker.id, "cpu", "cpu", ""));
        }
        var properties = new SchedulerProperties("tokenizer", configured, Duration.ofMillis(50), Duration.ofSeconds(5),
                Duration.ofMillis(100), Duration.ofSeconds(3), Map.of(),
                new SchedulerProperties.Placement("latency-first", 0.5, Duration.ofSeconds(30), 0.2, 16, 1000, "max-tokens"),
                new SchedulerProperties.Admission(1, Duration.ofSeconds(20), 0, Duration.ofSeconds(5)),
                new SchedulerProperties.Breaker(10, 3, 50, Duration.ofSeconds(5), 2),
                new SchedulerProperties.Scaling(Duration.ofSeconds(10), 64, 0.1));
        GrpcChannelFactory loopback = new GrpcChannelFactory() {
            @Override
            public boolean supports(String target) {
                return true;
            }

            @Override
            public ManagedChannel createChannel(String target, ChannelBuilderOptions options) {
                var channel = ManagedChannelBuilder.forAddress("127.0.0.1", ports.get(target)).usePlaintext().build();
                channels.add(channel);
                return channel;
            }
        };
        pool = new WorkerPool(properties, loopback, CircuitBreakerRegistry.ofDefaults());
        pool.afterPropertiesSet();
        closeables.add(pool::destroy);
        var statistics = new PoolStatistics(properties, pool, meters);
        closeables.add(statistics::destroy);
        var metrics = new SchedulerMetrics(meters);
        var admission = new AdmissionControl(pool, registered, properties, metrics);
        closeables.add(admission::destroy);
        var generations = new GenerationRelay(pool, admission, metrics, statistics, new AffinityIndex(16, 1000), new OutputLengths(false, 0.2));
        var service = new SchedulerGrpcService(pool, PlacementPolicies.standard("latency-first", 0.5),
                new TokenizerClient(properties, loopback), generations, new EmbeddingRelay(pool, admission), admission, properties);
        var scheduler = ManagedChannelBuilder.forAddress("127.0.0.1", serve(service).getPort()).usePlaintext().build();
        channels.add(scheduler);
        awaitAvailable(workers.length);
        return SchedulerGrpc.newStub(scheduler);
    }

    private void awaitAvailable(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (pool.snapshot().stream().filter(w -> w.available()).count() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(pool.snapshot()).filteredOn(w -> w.available()).hasSize(count);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        channels.forEach(ManagedChannel::shutdownNow);
        servers.forEach(Server::shutdownNow);
    }

    /** The end of one call: its chunks, or the status and trailers it failed with. */
    record Result(List<ScheduleGenerateChunk> chunks, Status status, String retryAfter) {
    }

    private static CompletableFuture<Result> generate(SchedulerGrpc.SchedulerStub stub, String id, int priority) {
        return generate(stub, id, "m", priority);
    }

    private static CompletableFuture<Result> generate(SchedulerGrpc.SchedulerStub stub, String id, String model, int priority) {
        return generate(stub, ScheduleGenerateRequest.newBuilder().setRequestId(id).setModel(model).setPrompt("hello " + id)
                .setPriority(priority).setSampling(SamplingParams.newBuilder().setMaxTokens(8)).build());
    }

    private static CompletableFuture<Result> generate(SchedulerGrpc.SchedulerStub stub, ScheduleGenerateRequest request) {
        var result = new CompletableFuture<Result>();
        List<ScheduleGenerateChunk> chunks = new ArrayList<>();
        stub.generate(request, new StreamObserver<>() {
            @Override
            public void onNext(ScheduleGenerateChunk chunk) {
                chunks.add(chunk);
            }

            @Override
            public void onError(Throwable t) {
                var trailers = Status.trailersFromThrowable(t);
                result.complete(new Result(chunks, Status.fromThrowable(t),
                        trailers == null ? null : trailers.get(AdmissionControl.RETRY_AFTER)));
            }

            @Override
            public void onCompleted() {
                result.complete(new Result(chunks, Status.OK, null));
            }
        });
        return result;
    }

    private static ScheduleGenerateRequest penalized(String id, float repetitionPenalty) {
        return ScheduleGenerateRequest.newBuilder().setRequestId(id).setModel("m").setPrompt("hello " + id)
                .setSampling(SamplingParams.newBuilder().setMaxTokens(8).setRepetitionPenalty(repetitionPenalty)).build();
    }

    @Test
    void aRepetitionPenaltyOutsideZeroToTwoIsAnInvalidArgumentAndOneInsideReachesTheWorker() throws Exception {
        var worker = new ScriptedWorker("w1", false);
        var stub = scheduler(worker);

        for (float bad : new float[] {-0.5f, 2.5f, Float.NaN, Float.POSITIVE_INFINITY}) {
            var refused = generate(stub, penalized("bad", bad)).get(10, TimeUnit.SECONDS);
            assertThat(refused.status().getCode()).as("repetition_penalty %s", bad).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(refused.status().getDescription()).contains("repetition_penalty");
        }
        var accepted = generate(stub, penalized("good", 1.3f));
        var held = worker.held.poll(10, TimeUnit.SECONDS);
        held.finish();

        assertThat(accepted.get(10, TimeUnit.SECONDS).status()).isEqualTo(Status.OK);
        assertThat(held.request().getRequestId()).isEqualTo("good");
        assertThat(held.request().getSampling().getRepetitionPenalty()).isEqualTo(1.3f);
        assertThat(worker.held).isEmpty();
    }

    @Test
    void aTokenIdPromptReachesTheWorkerAsItIsWithoutTheTokenizerAndAnEmptyOrNegativeOneIsAnInvalidArgument() throws Exception {
        var worker = new ScriptedWorker("w1", false);
        var stub = scheduler(worker);
        var tokens = ScheduleGenerateRequest.newBuilder().setRequestId("tokens").setModel("m")
                .setSampling(SamplingParams.newBuilder().setMaxTokens(8));

        for (var bad : List.of(PromptTokenIds.getDefaultInstance(), PromptTokenIds.newBuilder().addIds(5).addIds(-1).build())) {
            var refused = generate(stub, tokens.clone().setPromptTokenIds(bad).build()).get(10, TimeUnit.SECONDS);
            assertThat(refused.status().getCode()).as("%s", bad.getIdsList()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        }
        // the scripted tokenizer would turn text into its characters' codes: 9, 8, 7 are no text's
        var accepted = generate(stub, tokens.setPromptTokenIds(PromptTokenIds.newBuilder().addIds(9).addIds(8).addIds(7)).build());
        var held = worker.held.poll(10, TimeUnit.SECONDS);
        held.finish();

        assertThat(accepted.get(10, TimeUnit.SECONDS).status()).isEqualTo(Status.OK);
        assertThat(held.request().getPromptTokenIdsList()).containsExactly(9, 8, 7);
        assertThat(held.request().getSampling().getMaxTokens()).isEqualTo(8);
    }

    @Test
    void aFullPoolQueuesThenRefusesWithARetryHintAndAHigherPriorityRequestGoesFirst() throws Exception {
        var worker = new ScriptedWorker("w1", false);
        var stub = scheduler(worker);

        var first = generate(stub, "first", 0);
        var running = worker.held.poll(10, TimeUnit.SECONDS);
        assertThat(running.request().getRequestId()).isEqualTo("first");
        var waiting = generate(stub, "waiting", 0);
        Thread.sleep(200); // it is in the queue (capacity 1) before the next arrives
        var refused = generate(stub, "refused", 0).get(10, TimeUnit.SECONDS);
        var urgent = generate(stub, "urgent", 5);
        var displaced = waiting.get(10, TimeUnit.SECONDS);

        assertThat(refused.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.retryAfter()).isNotNull();
        assertThat(Integer.parseInt(refused.retryAfter())).isPositive();
        assertThat(displaced.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(displaced.status().getDescription()).contains("higher priority");

        running.finish();
        assertThat(first.get(10, TimeUnit.SECONDS).status()).isEqualTo(Status.OK);
        var next = worker.held.poll(10, TimeUnit.SECONDS);
        assertThat(next.request().getRequestId()).isEqualTo("urgent");
        next.finish();
        var done = urgent.get(10, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(Status.OK);
        assertThat(done.chunks().getFirst().getWorkerId()).isEqualTo("w1");
        assertThat(meters.get("scheduler.admission.rejections").tag("reason", "queue-full").counter().count()).isEqualTo(1);
        assertThat(meters.get("scheduler.admission.rejections").tag("reason", "displaced").counter().count()).isEqualTo(1);
    }

    @Test
    void aModelTheRegistryHasInProductionButNoWorkerServesIsUnavailableWithARetryHintAndAnUnknownOneIsNotFound() throws Exception {
        var stub = scheduler(new ScriptedWorker("w1", false));
        registered.onModelEvent(ModelEvent.newBuilder().setModelId("restarting").setKind(ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT)
                .setModel(Model.newBuilder().setId("restarting").setProductionVersion("1")
                        .addArtifacts(ModelArtifact.newBuilder().setVersion("1").setFormat("GGUF"))).build());

        var restarting = generate(stub, "r", "restarting", 0).get(10, TimeUnit.SECONDS);
        var unknown = generate(stub, "u", "no-such-model", 0).get(10, TimeUnit.SECONDS);

        assertThat(restarting.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(restarting.status().getDescription()).contains("no worker serves model 'restarting'");
        assertThat(restarting.retryAfter()).isEqualTo("5");
        assertThat(unknown.status().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void withoutAReadyWorkerTheRequestIsRefusedAsUnavailableWithARetryHint() throws Exception {
        var worker = new ScriptedWorker("w1", false);
        var stub = scheduler(worker);
        worker.ready = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pool.snapshot().getFirst().available() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }

        var result = generate(stub, "nobody", 0).get(10, TimeUnit.SECONDS);

        assertThat(result.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(result.retryAfter()).isEqualTo("5");
    }

    private double queued() {
        return meters.get("scheduler.queue.depth").tag("priority", "0").gauge().value();
    }

    private void awaitReady(ScriptedWorker worker, boolean ready) throws InterruptedException {
        worker.ready = ready;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (available(worker) != ready && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(available(worker)).as("%s available", worker.id).isEqualTo(ready);
    }

    private boolean available(ScriptedWorker worker) {
        return pool.snapshot().stream().anyMatch(w -> w.id().equals(worker.id) && w.available());
    }

    private static String text(Result result) {
        return result.chunks().stream().map(ScheduleGenerateChunk::getText).collect(java.util.stream.Collectors.joining());
    }

    @Test
    void aWorkerThatFailsMidStreamIsResumedOnAnotherFromThePromptPlusTheTokensAlreadySent() throws Exception {
        var first = new ScriptedWorker("w1", false);
        var second = new ScriptedWorker("w2", false);
        var stub = scheduler(first, second);
        awaitReady(second, false); // so that the request starts on w1

        var call = generate(stub, "resumed", 0);
        var failing = first.held.poll(10, TimeUnit.SECONDS);
        failing.send("In the", 701, 702);
        failing.send(" begin", 703);
        awaitReady(second, true);
        failing.die();
        var resumed = second.held.poll(10, TimeUnit.SECONDS);
        assertThat(resumed).as("the request reached w2").isNotNull();
        resumed.send("ning", 704);
        resumed.end(4);
        var result = call.get(10, TimeUnit.SECONDS);

        assertThat(resumed.request().getPromptTokenIdsList()).isEqualTo(failing.request().getPromptTokenIdsList());
        assertThat(resumed.request().getResumeTokenIdsList()).containsExactly(701, 702, 703);
        assertThat(resumed.request().getSampling()).isEqualTo(failing.request().getSampling());
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(text(result)).isEqualTo("In the beginning");
        assertThat(result.chunks().stream().mapToInt(ScheduleGenerateChunk::getTokenCount).sum()).isEqualTo(4);
        assertThat(result.chunks().getLast().getUsage().getCompletionTokens()).isEqualTo(4);
        assertThat(result.chunks().getLast().getUsage().getPromptTokens()).isEqualTo(failing.request().getPromptTokenIdsCount());
        assertThat(result.chunks().getFirst().getWorkerId()).isEqualTo("w1");
        assertThat(result.chunks()).extracting(ScheduleGenerateChunk::getWorkerId).contains("w2");
        assertThat(meters.get("scheduler.resumes").counter().count()).isEqualTo(1);
        assertThat(meters.get("scheduler.failovers").counter().count()).isZero();
    }

    @Test
    void aStreamNoOtherWorkerCanResumeEndsWithAnErrorAfterTheTextAlreadySent() throws Exception {
        var only = new ScriptedWorker("w1", false);
        var stub = scheduler(only);

        var call = generate(stub, "orphan", 0);
        var failing = only.held.poll(10, TimeUnit.SECONDS);
        failing.send("In the", 701, 702);
        failing.die();
        var result = call.get(10, TimeUnit.SECONDS);

        assertThat(text(result)).isEqualTo("In the");
        assertThat(result.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(result.status().getDescription()).contains("after 2 tokens").contains("no other worker could resume it");
        assertThat(meters.get("scheduler.resumes").counter().count()).isEqualTo(1);
    }

    @Test
    void aStreamWhoseWorkerFailsWhileTheOtherIsStillRestartingWaitsForItAndIsResumedThere() throws Exception {
        var first = new ScriptedWorker("w1", false);
        var second = new ScriptedWorker("w2", false);
        var stub = scheduler(first, second);
        awaitReady(second, false); // w2 restarts (a rolling restart's previous step) while w1 serves

        var call = generate(stub, "rolling", 0);
        var failing = first.held.poll(10, TimeUnit.SECONDS);
        failing.send("In the", 701, 702);
        failing.die();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (queued() < 1 && !call.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(call).as("the request waits for w2").isNotDone();
        assertThat(queued()).as("requests waiting in admission").isEqualTo(1);
        awaitReady(second, true);
        var resumed = second.held.poll(10, TimeUnit.SECONDS);
        assertThat(resumed).as("the request reached w2 once it was ready").isNotNull();
        resumed.send(" beginning", 703);
        resumed.end(3);
        var result = call.get(10, TimeUnit.SECONDS);

        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(text(result)).isEqualTo("In the beginning");
        assertThat(resumed.request().getResumeTokenIdsList()).containsExactly(701, 702);
    }

    @Test
    void aStreamFromAWorkerThatSendsNoTokenIdsIsNotResumedAndTheCallerGetsTheError() throws Exception {
        var first = new ScriptedWorker("w1", false);
        var second = new ScriptedWorker("w2", false);
        var stub = scheduler(first, second);
        awaitReady(second, false);

        var call = generate(stub, "older-worker", 0);
        var failing = first.held.poll(10, TimeUnit.SECONDS);
        // a worker older than token_ids: what was relayed cannot be named to another worker
        failing.stream().onNext(WorkerGenerateChunk.newBuilder().setText("In the").setTokenCount(2).build());
        awaitReady(second, true);
        failing.die();
        var result = call.get(10, TimeUnit.SECONDS);

        assertThat(text(result)).isEqualTo("In the");
        assertThat(result.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(second.held).isEmpty();
        assertThat(meters.get("scheduler.resumes").counter().count()).isZero();
    }

    @Test
    void aWorkerThatFailsBeforeTheFirstTokenIsReplacedWithoutAnErrorForTheClient() throws Exception {
        var failing = new ScriptedWorker("w1", true);
        var healthy = new ScriptedWorker("w2", false);
        var stub = scheduler(failing, healthy);

        var call = generate(stub, "survivor", 0);
        var held = healthy.held.poll(10, TimeUnit.SECONDS);
        held.finish();
        var result = call.get(10, TimeUnit.SECONDS);

        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.chunks().getFirst().getWorkerId()).isEqualTo("w2");
        assertThat(meters.get("scheduler.failovers").counter().count()).isEqualTo(1);
    }
}
