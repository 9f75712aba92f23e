package dev.llmplatform.worker.gpu.api;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.proto.v1.ModelVersion;
import dev.llmplatform.proto.v1.WatchModelsRequest;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A registry that knows one chat model and streams its state to watchers, as the real one does: its production CPU
 * GGUF is the test model (version 2), and an archived version's artifact ({@link #TAMPERED_URI}) is a copy altered
 * after registration. {@link #promote} moves the production alias to a new version, as an operator would.
 */
final class FakeRegistry extends ModelRegistryGrpc.ModelRegistryImplBase {

    static String TAMPERED_URI;
    private static Server server;
    private static FakeRegistry registry;

    private final List<StreamObserver<ModelEvent>> watchers = new CopyOnWriteArrayList<>();
    private volatile Model model;

    private FakeRegistry(Model model) {
        this.model = model;
    }

    static synchronized Server start(Path gguf) throws IOException {
        if (server == null) {
            String sha256 = Sha256.of(gguf);
            Path tampered = Files.createTempFile("tampered", ".gguf");
            tampered.toFile().deleteOnExit();
            Files.copy(gguf, tampered, StandardCopyOption.REPLACE_EXISTING);
            Files.write(tampered, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
            TAMPERED_URI = tampered.toUri().toString();
            var production = artifact(gguf, sha256, "2");
            var archived = production.toBuilder().setVersion("1").setUri(TAMPERED_URI).build();
            var model = Model.newBuilder().setId("tiny-kjv-chat").setTask("chat").setProductionVersion("2").setContextLength(512)
                    .addArtifacts(production)
                    .addVersions(ModelVersion.newBuilder().setModelId("tiny-kjv-chat").setVersion("1").addVariants(archived))
                    .addVersions(ModelVersion.newBuilder().setModelId("tiny-kjv-chat").setVersion("2").addVariants(production))
                    .build();
            registry = new FakeRegistry(model);
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(registry).build().start();
        }
        return server;
    }

    private static ModelArtifact artifact(Path gguf, String sha256, String version) {
        return ModelArtifact.newBuilder().setVariantId("cpu-f16-v" + version).setFormat("GGUF")
                .setDeviceClass(DeviceClass.DEVICE_CLASS_CPU).setUri(gguf.toUri().toString()).setSha256(sha256)
                .setVersion(version).setContextLength(512).build();
    }

    /** Registers {@code version} with a copy of the model file and makes it production; watchers hear it at once. */
    static void promote(String version, Path copy) throws IOException {
        var artifact = artifact(copy, Sha256.of(copy), version);
        registry.model = registry.model.toBuilder().setProductionVersion(version).clearArtifacts().addArtifacts(artifact)
                .addVersions(ModelVersion.newBuilder().setModelId("tiny-kjv-chat").setVersion(version).addVariants(artifact))
                .build();
        registry.watchers.forEach(w -> w.onNext(event(ModelChangeKind.MODEL_CHANGE_KIND_STAGE_CHANGED, version)));
    }

    private static ModelEvent event(ModelChangeKind kind, String version) {
        return ModelEvent.newBuilder().setModelId("tiny-kjv-chat").setKind(kind).setVersion(version).setModel(registry.model).build();
    }

    @Override
    public void watchModels(WatchModelsRequest request, StreamObserver<ModelEvent> responses) {
        responses.onNext(event(ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT, model.getProductionVersion()));
        watchers.add(responses);
    }
}
