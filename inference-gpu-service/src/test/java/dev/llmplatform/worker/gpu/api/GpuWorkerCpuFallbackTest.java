package dev.llmplatform.worker.gpu.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadModelRequest;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.WorkerEmbedRequest;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.worker.core.engine.PreviousEngine;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.grpc.test.autoconfigure.LocalGrpcServerPort;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The GPU worker's whole contract over a real socket, with the CPU fallback explicitly switched on (this machine has
 * no GPU): the same service, engine and llama.cpp binding as on CUDA, only on llama.cpp's CPU back end.
 */
@SpringBootTest(properties = {
        "spring.grpc.server.port=0",
        "server.port=0",
        "worker.nvidia-smi=/nonexistent/nvidia-smi",
        "worker.allow-cpu-fallback=true",
        "worker.load-retry-interval=30s",
        "worker.slots=4",
        "worker.context-per-slot=256",
        "worker.batch-tokens=64",
        "worker.threads=1"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GpuWorkerCpuFallbackTest {

    static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf")).toAbsolutePath();

    static final int[] prompt = PreviousEngine.PROMPT;

    static final String REFUSAL = "is not a registered artifact or failed verification";

    @DynamicPropertySource
    static void natives(DynamicPropertyRegistry registry) throws Exception {
        registry.add("worker.native-dir", () -> System.getProperty("llama.cuda.dir", "../.platform/native/llama-cuda/3.22.1"));
        int registryPort = FakeRegistry.start(GGUF).getPort();
        registry.add("worker.registry-target", () -> "static://127.0.0.1:" + registryPort);
    }

    @LocalGrpcServerPort
    int grpcPort;

    @Autowired
    MeterRegistry meters;

    ManagedChannel channel;
    InferenceWorkerGrpc.InferenceWorkerBlockingStub worker;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        worker = InferenceWorkerGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static WorkerGenerateRequest greedy(int maxTokens) {
        return WorkerGenerateRequest.newBuilder().setRequestId("t").setModel("tiny-kjv-chat")
                .addAllPromptTokenIds(Arrays.stream(prompt).boxed().toList())
                .setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens)).build();
    }

    @Test
    @Order(1)
    void followsTheRegistrysProductionVersionAndReportsWhatEveryWorkerReports() {
        Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .until(() -> worker.getLoad(GetLoadRequest.getDefaultInstance()).getReady());

        LoadReport report = worker.getLoad(GetLoadRequest.getDefaultInstance());
        assertThat(report.getDeviceClass()).isEqualTo(DeviceClass.DEVICE_CLASS_GPU);
        assertThat(report.getModelsList()).singleElement().satisfies(m -> assertThat(m.getVariantId()).isEqualTo("cpu-f16-v2"));
        // the fields the GPU worker's report used to lack
        assertThat(report.getMaxWaiting()).isEqualTo(256);
        assertThat(report.getKvCacheCapacityTokens()).isEqualTo(4L * 256);
        assertThat(report.getKvCacheUsage()).isZero();
        assertThat(report.getGeneratedTokensTotal()).isZero();
    }

    @Test
    @Order(2)
    void loadsAModelAndThenReportsReady() {
        var loaded = worker.loadModel(LoadModelRequest.newBuilder().setModel("tiny-kjv-chat")
                .setArtifactUri(GGUF.toUri().toString()).setContextLength(512).build());

        LoadReport report = worker.getLoad(GetLoadRequest.getDefaultInstance());
        assertThat(loaded.getModel()).isEqualTo("tiny-kjv-chat");
        assertThat(report.getReady()).isTrue();
        assertThat(report.getNotReadyReason()).isEmpty();
        assertThat(report.getSlots()).isEqualTo(4);
        assertThat(report.getModelsList()).singleElement().satisfies(m -> {
            assertThat(m.getId()).isEqualTo("tiny-kjv-chat");
            assertThat(m.getContextLength()).isEqualTo(256);
        });
        assertThat(meters.find("worker.model.load").tag("model", "tiny-kjv-chat").timer()).isNotNull();
    }

    @Test
    @Order(3)
    void streamsThePreviousCpuEnginesGreedyTextAndEndsWithUsage() {
        List<WorkerGenerateChunk> chunks = new ArrayList<>();
        worker.generate(greedy(24)).forEachRemaining(chunks::add);

        WorkerGenerateChunk last = chunks.getLast();
        String text = chunks.stream().map(WorkerGenerateChunk::getText).reduce("", String::concat);
        assertThat(text).isEqualTo(PreviousEngine.GREEDY);
        assertThat(chunks.stream().mapToInt(WorkerGenerateChunk::getTokenCount).sum()).isEqualTo(24);
        assertThat(last.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
        assertThat(last.getUsage().getPromptTokens()).isEqualTo(prompt.length);
        assertThat(last.getUsage().getCompletionTokens()).isEqualTo(24);
        assertThat(meters.find("worker.batch.size").summary().count()).isPositive();
        assertThat(meters.find("worker.generations").tag("outcome", "length").counter().count()).isPositive();
        assertThat(worker.getLoad(GetLoadRequest.getDefaultInstance()).getGeneratedTokensTotal()).isEqualTo(24);
    }

    @Test
    @Order(4)
    void concurrentCallsAreBatchedAndEachGetsTheWholeText() throws Exception {
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                var text = new StringBuilder();
                worker.generate(greedy(24)).forEachRemaining(c -> text.append(c.getText()));
                return text.toString();
            }));
        }
        for (var call : calls) {
            assertThat(call.get(120, TimeUnit.SECONDS)).isEqualTo(PreviousEngine.GREEDY);
        }
        assertThat(meters.find("worker.batch.size").summary().max()).isGreaterThan(1);
    }

    @Test
    @Order(5)
    void aCallerWhoCancelsStopsTheGeneration() throws Exception {
        double cancelledBefore = cancelledGenerations();
        var firstChunk = new CountDownLatch(1);
        InferenceWorkerGrpc.newStub(channel).generate(greedy(200), new ClientResponseObserver<WorkerGenerateRequest, WorkerGenerateChunk>() {
            ClientCallStreamObserver<WorkerGenerateRequest> call;

            @Override
            public void beforeStart(ClientCallStreamObserver<WorkerGenerateRequest> requestStream) {
                call = requestStream;
            }

            @Override
            public void onNext(WorkerGenerateChunk chunk) {
                firstChunk.countDown();
                call.cancel("client gone", null);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });

        assertThat(firstChunk.await(60, TimeUnit.SECONDS)).isTrue();
        Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .until(() -> cancelledGenerations() > cancelledBefore);
        Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> worker.getLoad(GetLoadRequest.getDefaultInstance()).getRunning() == 0);
    }

    private double cancelledGenerations() {
        var counter = meters.find("worker.generations").tag("outcome", "cancelled").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    @Order(6)
    void badRequestsGetClearStatuses() {
        assertThat(code(() -> worker.generate(WorkerGenerateRequest.newBuilder().setModel("tiny-kjv-chat").build()).hasNext()))
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(code(() -> worker.generate(greedy(10_000)).hasNext())).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(code(() -> worker.generate(greedy(4).toBuilder().setModel("no-such-model").build()).hasNext()))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(code(() -> worker.embed(WorkerEmbedRequest.newBuilder().setModel("tiny-kjv-chat").addInputs("x").build())))
                .isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(code(() -> worker.loadModel(LoadModelRequest.newBuilder().setModel("x").setArtifactUri("file:///nonexistent.gguf").build())))
                .isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    @Order(7)
    void loadModelRefusesAnythingButARegisteredVerifiedArtifactWithOneAnswer(@TempDir Path dir) throws Exception {
        Path copyOfTheModel = Files.copy(GGUF, dir.resolve("copy.gguf"));
        List<LoadModelRequest> refused = List.of(
                LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri("file:///etc/hostname").build(),
                LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri(copyOfTheModel.toUri().toString()).build(),
                LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri("file:///nonexistent/model.gguf").build(),
                LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri(GGUF.toUri().toString()).setSha256("0".repeat(64)).build(),
                // registered, but its file does not have the registry's checksum
                LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri(FakeRegistry.TAMPERED_URI).build(),
                LoadModelRequest.newBuilder().setModel("unregistered").setArtifactUri(GGUF.toUri().toString()).build());

        for (LoadModelRequest request : refused) {
            assertThatThrownBy(() -> worker.loadModel(request)).as(request.getArtifactUri())
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                        assertThat(e.getStatus().getDescription()).isEqualTo("model '" + request.getModel() + "' " + REFUSAL);
                    });
        }
        assertThat(worker.loadModel(LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").build()).getModel())
                .as("the registered model still loads").isEqualTo("tiny-kjv-chat");
    }

    private static Status.Code code(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        return Status.Code.OK; // no error: the assertion on the code fails and says so
    }

    @Test
    @Order(8)
    void aPromotionSwitchesToTheNewVersionAndRequestsKeepTheirAnswers(@TempDir Path dir) throws Exception {
        FakeRegistry.promote("3", Files.copy(GGUF, dir.resolve("v3.gguf")));

        Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> worker.getLoad(GetLoadRequest.getDefaultInstance())
                .getModelsList().stream().anyMatch(m -> m.getVariantId().equals("cpu-f16-v3")));
        var text = new StringBuilder();
        worker.generate(greedy(24)).forEachRemaining(c -> text.append(c.getText()));
        assertThat(text).hasToString(PreviousEngine.GREEDY);
    }
}
