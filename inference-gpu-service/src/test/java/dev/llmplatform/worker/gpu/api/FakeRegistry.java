package dev.llmplatform.worker.gpu.api;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.GetModelRequest;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.proto.v1.ModelVersion;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A registry that knows one chat model: its production CPU GGUF is the test model, and an archived version's
 * artifact ({@link #TAMPERED_URI}) is a copy altered after registration. ListModels is left unimplemented, so the
 * worker's start-up loading keeps waiting and only LoadModel loads.
 */
final class FakeRegistry extends ModelRegistryGrpc.ModelRegistryImplBase {

    static String TAMPERED_URI;
    private static Server server;

    private final Model model;

    private FakeRegistry(Model model) {
        this.model = model;
    }

    static synchronized Server start(Path gguf) throws IOException {
        if (server == null) {
            String sha256 = Sha256.of(gguf);
            Path tampered = Files.createTempFile("tampered", ".gguf");
            tampered.toFile().deleteOnExit();
            Files.copy(gguf, tampered, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.write(tampered, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
            TAMPERED_URI = tampered.toUri().toString();
            var production = ModelArtifact.newBuilder().setVariantId("cpu-f16").setFormat("GGUF")
                    .setDeviceClass(DeviceClass.DEVICE_CLASS_CPU).setUri(gguf.toUri().toString()).setSha256(sha256)
                    .setVersion("2").setContextLength(512).build();
            var archived = production.toBuilder().setVersion("1").setUri(TAMPERED_URI).build();
            var model = Model.newBuilder().setId("tiny-kjv-chat").setTask("chat").setProductionVersion("2").setContextLength(512)
                    .addArtifacts(production)
                    .addVersions(ModelVersion.newBuilder().setModelId("tiny-kjv-chat").setVersion("1").addVariants(archived))
                    .addVersions(ModelVersion.newBuilder().setModelId("tiny-kjv-chat").setVersion("2").addVariants(production))
                    .build();
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new FakeRegistry(model)).build().start();
        }
        return server;
    }

    @Override
    public void getModel(GetModelRequest request, StreamObserver<Model> responses) {
        if (request.getModelId().equals(model.getId())) {
            responses.onNext(model);
            responses.onCompleted();
        } else {
            responses.onError(Status.NOT_FOUND.withDescription("no model '" + request.getModelId() + "'").asRuntimeException());
        }
    }
}
