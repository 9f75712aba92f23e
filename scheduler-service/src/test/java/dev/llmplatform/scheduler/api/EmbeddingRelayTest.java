package dev.llmplatform.scheduler.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Embedding;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.proto.v1.ScheduleEmbedRequest;
import dev.llmplatform.proto.v1.ScheduleEmbedResponse;
import dev.llmplatform.proto.v1.WatchLoadRequest;
import dev.llmplatform.proto.v1.WorkerEmbedRequest;
import dev.llmplatform.proto.v1.WorkerEmbedResponse;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import dev.llmplatform.scheduler.infra.AdmissionControl;
import dev.llmplatform.scheduler.infra.EmbeddingRelay;
import dev.llmplatform.scheduler.infra.SchedulerMetrics;
import dev.llmplatform.scheduler.infra.WorkerPool;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.grpc.client.ChannelBuilderOptions;
import org.springframework.grpc.client.GrpcChannelFactory;

/** Admission, placement and failover of Embed over workers on the in-process transport, each scripted to answer one way. */
class EmbeddingRelayTest {

    private static final String MODEL = "all-minilm-l6-v2";

    private final List<Server> servers = new ArrayList<>();
    private WorkerPool pool;
    private AdmissionControl admission;
    private EmbeddingRelay relay;

    /** A worker that reports the model loaded with {@code running} of 4 slots busy and answers Embed with {@code answer}. */
    private static final class ScriptedWorker extends InferenceWorkerGrpc.InferenceWorkerImplBase {
        final AtomicInteger embedCalls = new AtomicInteger();
        private final String id;
        private final int running;
        private final Status answer;

        ScriptedWorker(String id, int running, Status answer) {
            this.id = id;
            this.running = running;
            this.answer = answer;
        }

        @Override
        public void watchLoad(WatchLoadRequest request, StreamObserver<LoadReport> responses) {
            responses.onNext(LoadReport.newBuilder().setWorkerId(id).setDeviceClass(DeviceClass.DEVICE_CLASS_CPU).setReady(true)
                    .setSlots(4).setRunning(running).addModels(LoadedModel.newBuilder().setId(MODEL).setContextLength(256)).build());
        }

        @Override
        public void embed(WorkerEmbedRequest request, StreamObserver<WorkerEmbedResponse> responses) {
            embedCalls.incrementAndGet();
            if (!answer.isOk()) {
                responses.onError(answer.withDescription(id + " says " + answer.getCode()).asRuntimeException());
                return;
            }
            var response = WorkerEmbedResponse.newBuilder().setPromptTokens(3 * request.getInputsCount());
            request.getInputsList().forEach(text -> response.addEmbeddings(Embedding.newBuilder().addValues(text.length())));
            responses.onNext(response.build());
            responses.onCompleted();
        }
    }

    private void start(ScriptedWorker... workers) throws Exception {
        Map<String, Object> config = new java.util.HashMap<>();
        for (int i = 0; i < workers.length; i++) {
            String name = InProcessServerBuilder.generateName();
            servers.add(InProcessServerBuilder.forName(name).addService(workers[i])
                    .addService(new io.grpc.protobuf.services.HealthStatusManager().getHealthService()).build().start());
            config.put("scheduler.workers[" + i + "].id", workers[i].id);
            config.put("scheduler.workers[" + i + "].target", name);
        }
        var properties = new Binder(new MapConfigurationPropertySource(config)).bindOrCreate("scheduler", SchedulerProperties.class);
        pool = new WorkerPool(properties, new GrpcChannelFactory() {
            @Override
            public boolean supports(String target) {
                return true;
            }

            @Override
            public ManagedChannel createChannel(String target, ChannelBuilderOptions options) {
                return InProcessChannelBuilder.forName(target).build();
            }
        }, io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry.ofDefaults());
        pool.afterPropertiesSet();
        admission = new AdmissionControl(pool, dev.llmplatform.scheduler.infra.RegisteredModels.none(), properties, new SchedulerMetrics(new SimpleMeterRegistry()));
        relay = new EmbeddingRelay(pool, admission);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (pool.readyWorkersServing(MODEL).size() < workers.length && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(pool.readyWorkersServing(MODEL)).hasSize(workers.length);
    }

    @AfterEach
    void stop() {
        if (admission != null) {
            admission.destroy();
        }
        if (pool != null) {
            pool.destroy();
        }
        servers.forEach(Server::shutdownNow);
    }

    private CompletableFuture<ScheduleEmbedResponse> embed(String model, String... inputs) {
        var result = new CompletableFuture<ScheduleEmbedResponse>();
        relay.submit(ScheduleEmbedRequest.newBuilder().setRequestId("r-1").setModel(model).addAllInputs(List.of(inputs)).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(ScheduleEmbedResponse value) {
                        result.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        return result;
    }

    private static Status failure(CompletableFuture<?> call) {
        return Status.fromThrowable(call.handle((value, error) -> error).orTimeout(5, TimeUnit.SECONDS).join());
    }

    @Test
    void placesOnTheLeastBusyWorkerAndRelaysItsVectorsAndTokens() throws Exception {
        var idle = new ScriptedWorker("idle", 0, Status.OK);
        var busy = new ScriptedWorker("busy", 3, Status.OK);
        start(busy, idle);

        var response = embed(MODEL, "ab", "abcd").get(5, TimeUnit.SECONDS);

        assertThat(response.getEmbeddingsList()).extracting(e -> e.getValues(0)).containsExactly(2f, 4f);
        assertThat(response.getPromptTokens()).isEqualTo(6);
        assertThat(idle.embedCalls).hasValue(1);
        assertThat(busy.embedCalls).hasValue(0);
    }

    @Test
    void triesTheNextWorkerWhenOneIsSaturatedOrUnavailable() throws Exception {
        var saturated = new ScriptedWorker("saturated", 0, Status.RESOURCE_EXHAUSTED);
        var down = new ScriptedWorker("down", 1, Status.UNAVAILABLE);
        var healthy = new ScriptedWorker("healthy", 3, Status.OK);
        start(saturated, down, healthy);

        assertThat(embed(MODEL, "abc").get(5, TimeUnit.SECONDS).getEmbeddings(0).getValues(0)).isEqualTo(3f);
        assertThat(List.of(saturated.embedCalls.get(), down.embedCalls.get(), healthy.embedCalls.get())).containsExactly(1, 1, 1);
    }

    @Test
    void isUnavailableNamingTheWorkersTriedWhenEveryOneFails() throws Exception {
        start(new ScriptedWorker("a", 0, Status.RESOURCE_EXHAUSTED), new ScriptedWorker("b", 1, Status.UNAVAILABLE));

        Status status = failure(embed(MODEL, "x"));

        assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(status.getDescription()).containsAnyOf("[a, b]", "[b, a]");
    }

    @Test
    void relaysAWorkersRefusalOfTheInputWithoutTryingAnotherWorker() throws Exception {
        var strict = new ScriptedWorker("strict", 0, Status.INVALID_ARGUMENT);
        var other = new ScriptedWorker("other", 1, Status.OK);
        start(strict, other);

        Status status = failure(embed(MODEL, "x"));

        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).isEqualTo("strict says INVALID_ARGUMENT");
        assertThat(other.embedCalls).hasValue(0);
    }

    @Test
    void anUnknownModelIsNotFoundAndAnEmptyRequestInvalid() throws Exception {
        start(new ScriptedWorker("w", 0, Status.OK));

        assertThat(failure(embed("no-such-model", "x")).getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(failure(embed(MODEL)).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
}
