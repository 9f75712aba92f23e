package dev.llmplatform.worker.cpu.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.WorkerEmbedRequest;
import dev.llmplatform.proto.v1.WorkerEmbedResponse;
import dev.llmplatform.worker.cpu.config.EmbeddingProperties;
import dev.llmplatform.worker.cpu.domain.LoadedEmbeddingModels;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.engine.ContinuousBatchingEngine;
import dev.llmplatform.worker.core.llama.LlamaContext;
import dev.llmplatform.worker.core.llama.LlamaLibrary;
import dev.llmplatform.worker.cpu.infra.OnnxSentenceEncoder;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The worker's Embed RPC over gRPC (in-process transport), on the real embedding and chat models. */
class WorkerEmbeddingsTest {

    private static final Path MODELS = Path.of("../models");
    private static final String EMBEDDING_MODEL = "all-minilm-l6-v2";
    private static final String CHAT_MODEL = "tiny-kjv-chat";

    private static final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private static final LoadedEmbeddingModels embeddingModels = new LoadedEmbeddingModels();
    private static final LoadedModels chatModels = new LoadedModels();
    private static WorkerEmbeddings embeddings;
    private static Server server;
    private static ManagedChannel channel;
    private static InferenceWorkerGrpc.InferenceWorkerBlockingStub worker;

    @BeforeAll
    static void start() throws Exception {
        var config = new Binder(new MapConfigurationPropertySource(Map.of(
                "worker.worker-id", "cpu-test", "worker.embeddings.max-inputs", "4")));
        embeddingModels.put(new LoadedEmbeddingModels.Entry(new OnnxSentenceEncoder(EMBEDDING_MODEL,
                MODELS.resolve("all-minilm-l6-v2/model.onnx"), MODELS.resolve("all-minilm-l6-v2/tokenizer.json"), 256, 1, 2),
                "cpu-onnx-q8", "sentence-transformers", 1_700_000_000L));
        var llama = new LlamaContext(LlamaLibrary.load(Path.of(System.getProperty("llama.cpu.dir"))),
                MODELS.resolve("tiny-kjv-chat/tiny-kjv-chat.gguf"), new LlamaContext.Settings(0, 1, 64, 64, 1));
        chatModels.put(new LoadedModels.Entry(new ContinuousBatchingEngine(CHAT_MODEL, llama, 1, 64, (s, p, d, n) -> { }),
                "cpu-f16", "llm-platform", 1_700_000_000L, "1", ""));
        embeddings = new WorkerEmbeddings(embeddingModels, chatModels,
                config.bindOrCreate("worker.embeddings", EmbeddingProperties.class),
                config.bindOrCreate("worker", WorkerProperties.class), meters);
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).addService(new InferenceWorkerGrpc.InferenceWorkerImplBase() {
            @Override
            public void embed(WorkerEmbedRequest request, StreamObserver<WorkerEmbedResponse> responses) {
                embeddings.embed(request, responses);
            }
        }).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
        worker = InferenceWorkerGrpc.newBlockingStub(channel);
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        server.shutdownNow();
        embeddings.destroy();
        embeddingModels.close();
        chatModels.close();
    }

    private static WorkerEmbedRequest request(String model, List<String> inputs) {
        return WorkerEmbedRequest.newBuilder().setModel(model).addAllInputs(inputs).build();
    }

    private static Status refusal(WorkerEmbedRequest request) {
        return catchThrowableOfType(StatusRuntimeException.class, () -> worker.embed(request)).getStatus();
    }

    @Test
    void embedsEveryInputInOrderAndCountsItsTokens() {
        double before = meters.counter("worker.embeddings", "model", EMBEDDING_MODEL).count();

        var response = worker.embed(request(EMBEDDING_MODEL, List.of("hello world", "hello world", "goodbye")));

        assertThat(response.getEmbeddingsCount()).isEqualTo(3);
        assertThat(response.getEmbeddings(0).getValuesCount()).isEqualTo(384);
        assertThat(response.getEmbeddings(0).getValuesList()).isEqualTo(response.getEmbeddings(1).getValuesList());
        assertThat(response.getEmbeddings(2).getValuesList()).isNotEqualTo(response.getEmbeddings(0).getValuesList());
        assertThat(response.getPromptTokens()).isEqualTo(4 + 4 + 3); // [CLS] ... [SEP] around each
        assertThat(meters.counter("worker.embeddings", "model", EMBEDDING_MODEL).count()).isEqualTo(before + 3);
    }

    @Test
    void refusesARequestWithoutInput() {
        Status status = refusal(request(EMBEDDING_MODEL, List.of()));

        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).contains("must not be empty");
    }

    @Test
    void refusesAnEmptyStringNamingItsIndex() {
        Status status = refusal(request(EMBEDDING_MODEL, List.of("fine", "")));

        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).contains("input[1]");
    }

    @Test
    void refusesMoreInputsThanTheConfiguredMaximum() {
        Status status = refusal(request(EMBEDDING_MODEL, Collections.nCopies(5, "a")));

        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).contains("5 items").contains("maximum of 4");
    }

    @Test
    void refusesAnInputLongerThanTheModelTakesWithTheNumbers() {
        Status status = refusal(request(EMBEDDING_MODEL, List.of("short", "word ".repeat(300))));

        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).contains("maximum context length is 256 tokens")
                .contains("you requested 302 tokens").contains("input[1]");
    }

    @Test
    void anUnknownModelIsNotFound() {
        assertThat(refusal(request("no-such-model", List.of("a"))).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void aChatModelDoesNotServeEmbeddings() {
        Status status = refusal(request(CHAT_MODEL, List.of("a")));

        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).contains("does not serve embeddings");
    }

    @Test
    void theLoadReportListsTheEmbeddingModelWithItsInputLimit() {
        assertThat(embeddings.loadedModels()).singleElement().satisfies(model -> {
            assertThat(model.getId()).isEqualTo(EMBEDDING_MODEL);
            assertThat(model.getContextLength()).isEqualTo(256);
            assertThat(model.getVariantId()).isEqualTo("cpu-onnx-q8");
        });
    }
}
