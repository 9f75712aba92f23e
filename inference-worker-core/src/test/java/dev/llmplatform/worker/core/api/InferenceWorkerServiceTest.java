package dev.llmplatform.worker.core.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadModelRequest;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.engine.PreviousEngine;
import dev.llmplatform.worker.core.infra.CpuBuild;
import dev.llmplatform.worker.core.infra.CpuDevice;
import dev.llmplatform.worker.core.infra.ModelLoader;
import dev.llmplatform.worker.core.infra.ModelLoaderEvents;
import dev.llmplatform.worker.core.infra.WorkerMetrics;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The worker contract as both workers serve it, on llama.cpp's CPU build: generation, the load report, and LoadModel,
 * which loads only what the registry lists, verified, and refuses everything else with one uniform answer.
 */
class InferenceWorkerServiceTest {

    private static final Path GGUF = CpuBuild.GGUF;
    private static final String REFUSAL = "model 'tiny-kjv-chat' is not a registered artifact or failed verification";

    @TempDir
    Path dir;

    private final LoadedModels models = new LoadedModels();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Binder config = new Binder(new MapConfigurationPropertySource(Map.of(
            "worker.worker-id", "worker-test", "worker.threads", "1", "worker.slots", "2", "worker.context-per-slot", "128",
            "worker.batch-tokens", "64", "worker.max-waiting", "3")));
    private final WorkerProperties properties = config.bindOrCreate("worker", WorkerProperties.class);
    private final CpuDevice device = CpuBuild.device();
    private final ModelLoader loader = new ModelLoader(properties, device, models, new WorkerMetrics(meters, models), null);
    private final WorkerDrain drain = new WorkerDrain(java.time.Duration.ZERO);
    private WorkerLoad load;
    private Server server;
    private ManagedChannel channel;
    private InferenceWorkerGrpc.InferenceWorkerBlockingStub worker;

    @BeforeEach
    void start() throws Exception {
        load = new WorkerLoad(properties, device, models, loader, List.of(), drain);
        var service = new InferenceWorkerService(properties, models, loader, load, new WorkerMetrics(meters, models), List.of(), drain);
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).addService(service).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
        worker = InferenceWorkerGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        models.close();
    }

    /** The registry's state of the model: its production version's CPU GGUF at {@code file}, with {@code sha256}. */
    private void registryLists(Path file, String sha256) {
        registryPromotes(file, sha256);
        models.remove("tiny-kjv-chat").ifPresent(entry -> entry.engine().close()); // loaded by the event; LoadModel is under test
    }

    private void registryPromotes(Path file, String sha256) {
        var artifact = ModelArtifact.newBuilder().setVariantId("cpu-f16").setFormat("GGUF").setDeviceClass(DeviceClass.DEVICE_CLASS_CPU)
                .setUri(file.toUri().toString()).setSha256(sha256).setVersion("1").setContextLength(256);
        ModelLoaderEvents.deliver(loader, ModelEvent.newBuilder().setModelId("tiny-kjv-chat").setKind(ModelChangeKind.MODEL_CHANGE_KIND_PROMOTED)
                .setVersion("1").setModel(Model.newBuilder().setId("tiny-kjv-chat").setTask("chat").setProductionVersion("1")
                        .addArtifacts(artifact)).build());
    }

    private StatusRuntimeException refusal(String artifactUri) {
        var request = LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri(artifactUri).build();
        try {
            worker.loadModel(request);
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("LoadModel of " + artifactUri + " was not refused");
    }

    @Test
    void hostFilesThatAreNotRegistryArtifactsAllGetTheSameAnswerAsAMissingPath() throws Exception {
        registryLists(GGUF, Sha256.of(GGUF));
        Path copyOfTheModel = Files.copy(GGUF, dir.resolve("copy.gguf"));
        Path unreadable = Files.writeString(dir.resolve("secret.gguf"), "x");
        unreadable.toFile().setReadable(false);
        List<String> candidates = List.of("file:///etc/hostname", copyOfTheModel.toUri().toString(), dir.toUri().toString(),
                unreadable.toUri().toString(), "file:///nonexistent/model.gguf", "/etc/passwd", "s3://bucket/model.gguf");

        List<Status> answers = new ArrayList<>();
        for (String candidate : candidates) {
            answers.add(refusal(candidate).getStatus());
        }

        assertThat(answers).allSatisfy(status -> {
            assertThat(status.getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(status.getDescription()).isEqualTo(REFUSAL);
        });
        assertThat(models.isEmpty()).isTrue();
    }

    @Test
    void aRegisteredArtifactWhoseFileFailsItsChecksumGetsTheSameAnswer() throws Exception {
        Path tampered = Files.copy(GGUF, dir.resolve("tampered.gguf"));
        Files.write(tampered, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        registryLists(tampered, Sha256.of(GGUF));

        assertThat(refusal(tampered.toUri().toString()).getStatus()).satisfies(status -> {
            assertThat(status.getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(status.getDescription()).isEqualTo(REFUSAL);
        });
        assertThat(refusal("").getStatus().getDescription()).as("the production artifact, named implicitly").isEqualTo(REFUSAL);
        assertThat(models.isEmpty()).isTrue();
    }

    @Test
    void aChecksumInTheRequestMustBeTheRegistrysAndAnUnregisteredModelIsRefusedAlike() throws Exception {
        registryLists(GGUF, Sha256.of(GGUF));

        var wrongChecksum = LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri(GGUF.toUri().toString())
                .setSha256("0".repeat(64)).build();
        assertThatThrownBy(() -> worker.loadModel(wrongChecksum)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getDescription()).isEqualTo(REFUSAL));
        assertThatThrownBy(() -> worker.loadModel(LoadModelRequest.newBuilder().setModel("unknown")
                .setArtifactUri(GGUF.toUri().toString()).build())).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getDescription()).isEqualTo("model 'unknown' is not a registered artifact or failed verification"));
    }

    @Test
    void theRegisteredArtifactLoadsByItsUriOrAsTheProductionVariant() throws Exception {
        String sha256 = Sha256.of(GGUF);
        registryLists(GGUF, sha256);

        var byUri = worker.loadModel(LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri(GGUF.toUri().toString())
                .setSha256(sha256).build());
        assertThat(byUri.getModel()).isEqualTo("tiny-kjv-chat");
        assertThat(models.get("tiny-kjv-chat")).hasValueSatisfying(entry -> assertThat(entry.variantId()).isEqualTo("cpu-f16"));

        var production = worker.loadModel(LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").build());
        assertThat(production.getModel()).isEqualTo("tiny-kjv-chat");
        assertThat(models.get("tiny-kjv-chat")).hasValueSatisfying(entry -> assertThat(entry.sha256()).isEqualTo(sha256));
    }

    private static WorkerGenerateRequest greedy(int[] prompt, int maxTokens) {
        return WorkerGenerateRequest.newBuilder().setRequestId("r").setModel("tiny-kjv-chat")
                .addAllPromptTokenIds(Arrays.stream(prompt).boxed().toList())
                .setSampling(SamplingParams.newBuilder().setTemperature(0).setMaxTokens(maxTokens)).build();
    }

    @Test
    void generateStreamsThePreviousEnginesGreedyTextAndEndsWithUsage() throws Exception {
        registryPromotes(GGUF, Sha256.of(GGUF));

        var text = new StringBuilder();
        int tokens = 0;
        WorkerGenerateChunk last = null;
        var chunks = worker.generate(greedy(PreviousEngine.PROMPT, 24));
        while (chunks.hasNext()) {
            last = chunks.next();
            text.append(last.getText());
            tokens += last.getTokenCount();
        }

        assertThat(text).hasToString(PreviousEngine.GREEDY);
        assertThat(tokens).isEqualTo(24);
        assertThat(last.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
        assertThat(last.getUsage().getCompletionTokens()).isEqualTo(24);
        assertThat(last.getUsage().getPromptTokens()).isEqualTo(3);
    }

    @Test
    void aPromptBackFromHostMemoryIsMeteredAsReusedAndRestored() throws Exception {
        registryPromotes(GGUF, Sha256.of(GGUF));
        int[] psalm = java.util.stream.IntStream.generate(() -> 10).limit(40).toArray();

        text(greedy(psalm, 4));
        text(greedy(java.util.stream.IntStream.generate(() -> 11).limit(40).toArray(), 4)); // the other of the 2 ids
        text(greedy(java.util.stream.IntStream.generate(() -> 12).limit(40).toArray(), 4)); // takes psalm's id
        double cached = meters.get("worker.prompt.cache.bytes").tag("model", "tiny-kjv-chat").gauge().value();
        text(greedy(psalm, 4));

        assertThat(cached).isPositive();
        assertThat(meters.get("worker.prompt.tokens.restored").tag("model", "tiny-kjv-chat").functionCounter().count())
                .isEqualTo(psalm.length - 1);
        assertThat(meters.get("worker.prompt.tokens.reused").tag("model", "tiny-kjv-chat").functionCounter().count())
                .isGreaterThanOrEqualTo(psalm.length - 1);
    }

    private String text(WorkerGenerateRequest request) {
        var text = new StringBuilder();
        worker.generate(request).forEachRemaining(chunk -> text.append(chunk.getText()));
        return text.toString();
    }

    private static WorkerGenerateRequest penalized(float repetitionPenalty) {
        var request = greedy(PreviousEngine.PROMPT, 24);
        return request.toBuilder().setSampling(request.getSampling().toBuilder().setRepetitionPenalty(repetitionPenalty)).build();
    }

    @Test
    void theRepetitionPenaltyReachesTheSamplerAndItsUnsetZeroMeansNone() throws Exception {
        registryPromotes(GGUF, Sha256.of(GGUF));

        assertThat(text(penalized(0f))).isEqualTo(PreviousEngine.GREEDY);
        assertThat(text(penalized(1f))).isEqualTo(PreviousEngine.GREEDY);
        assertThat(text(penalized(1.5f))).isNotEqualTo(PreviousEngine.GREEDY);
    }

    @Test
    void aRepetitionPenaltyBelowZeroOrNotFiniteIsAnInvalidArgumentThatCostsNoSlot() throws Exception {
        registryPromotes(GGUF, Sha256.of(GGUF));

        for (float bad : new float[] {-1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> text(penalized(bad))).as("repetition_penalty %s", bad)
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains("repetition_penalty");
                    });
        }
        assertThat(text(penalized(0f))).isEqualTo(PreviousEngine.GREEDY);
        assertThat(worker.getLoad(GetLoadRequest.getDefaultInstance()).getRunning()).isZero();
    }

    @Test
    void aPromptTokenIdOutsideTheVocabularyIsAnInvalidArgumentThatCostsNoSlot() throws Exception {
        registryPromotes(GGUF, Sha256.of(GGUF));

        for (int bad : new int[] {-1, 1 << 20}) {
            assertThatThrownBy(() -> text(greedy(new int[] {PreviousEngine.PROMPT[0], bad}, 4))).as("token id %s", bad)
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains("vocabulary");
                    });
        }
        assertThat(text(greedy(PreviousEngine.PROMPT, 24))).isEqualTo(PreviousEngine.GREEDY);
        assertThat(worker.getLoad(GetLoadRequest.getDefaultInstance()).getRunning()).isZero();
    }

    @Test
    void aGenerationResumedFromTheTokenIdsOfItsChunksSendsOnlyTheRestAndCountsTheWholeAnswer() throws Exception {
        registryPromotes(GGUF, Sha256.of(GGUF));
        List<Integer> sent = new ArrayList<>();
        var text = new StringBuilder();
        var first = worker.generate(greedy(PreviousEngine.PROMPT, 24));
        for (int i = 0; i < 10 && first.hasNext(); i++) {
            var chunk = first.next();
            assertThat(chunk.getTokenIdsCount()).isEqualTo(chunk.getTokenCount());
            sent.addAll(chunk.getTokenIdsList());
            text.append(chunk.getText());
        }
        first.forEachRemaining(chunk -> { }); // as if the worker had failed here: the rest of its stream is not used

        WorkerGenerateChunk last = null;
        var rest = worker.generate(greedy(PreviousEngine.PROMPT, 24).toBuilder().addAllResumeTokenIds(sent).build());
        while (rest.hasNext()) {
            last = rest.next();
            text.append(last.getText());
        }

        assertThat(text).hasToString(PreviousEngine.GREEDY);
        assertThat(last.getUsage().getPromptTokens()).isEqualTo(3);
        assertThat(last.getUsage().getCompletionTokens()).isEqualTo(24);
    }

    @Test
    void theLoadReportCarriesTheSameFieldsOnEveryDevice() throws Exception {
        registryPromotes(GGUF, Sha256.of(GGUF));
        var chunks = worker.generate(greedy(PreviousEngine.PROMPT, 10));
        chunks.forEachRemaining(chunk -> { });

        LoadReport report = worker.getLoad(GetLoadRequest.getDefaultInstance());

        assertThat(report.getWorkerId()).isEqualTo("worker-test");
        assertThat(report.getDeviceClass()).isEqualTo(DeviceClass.DEVICE_CLASS_CPU);
        assertThat(report.getReady()).isTrue();
        assertThat(report.getSlots()).isEqualTo(2);
        assertThat(report.getMaxWaiting()).isEqualTo(3);
        assertThat(report.getGeneratedTokensTotal()).isEqualTo(10);
        assertThat(report.getKvCacheCapacityTokens()).isEqualTo(2L * report.getModels(0).getContextLength());
        assertThat(report.getKvCacheTokens()).isZero();
        assertThat(report.getKvCacheUsage()).isZero();
        assertThat(report.getDecodeTokensPerSecond()).isPositive();
        assertThat(report.getMemoryUsedBytes()).isGreaterThan(Files.size(GGUF));
        assertThat(report.getModels(0).getVariantId()).isEqualTo("cpu-f16");
    }

    @Test
    void aDrainRefusesNewWorkReportsNotReadyAndEndsWhatOutlivesItsTimeoutWithUnavailableAfterItsTokens() throws Exception {
        registryPromotes(GGUF, Sha256.of(GGUF));
        var stream = InferenceWorkerGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .generate(greedy(PreviousEngine.PROMPT, 100));
        var first = stream.next(); // running: it has streamed a token
        var draining = java.util.concurrent.CompletableFuture.runAsync(drain::drain);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!drain.draining() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(load.report().getReady()).isFalse();
        assertThat(load.report().getNotReadyReason()).startsWith("draining");
        assertThatThrownBy(() -> worker.generate(greedy(PreviousEngine.PROMPT, 4)).next())
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

        int tokens = first.getTokenIdsCount();
        StatusRuntimeException end = null;
        try {
            while (stream.hasNext()) {
                tokens += stream.next().getTokenIdsCount();
            }
        } catch (StatusRuntimeException e) {
            end = e;
        }
        draining.get(10, TimeUnit.SECONDS);

        // a drain of no time ends it at the next decode step, unless all 100 tokens were out before the drain began
        if (end != null) {
            assertThat(end.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(end.getStatus().getDescription()).contains("is stopping after");
            assertThat(tokens).isLessThan(100);
        } else {
            assertThat(tokens).isEqualTo(100);
        }
    }
}
