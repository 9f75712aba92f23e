package dev.llmplatform.registry.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.GetModelRequest;
import dev.llmplatform.proto.v1.ListModelsRequest;
import dev.llmplatform.proto.v1.ListModelsResponse;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.infra.ModelRepository;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Service;

@Service
public class ModelRegistryGrpcService extends ModelRegistryGrpc.ModelRegistryImplBase {

    private final ModelRepository repository;

    public ModelRegistryGrpcService(ModelRepository repository) {
        this.repository = repository;
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
        var response = ListModelsResponse.newBuilder();
        repository.findAll().forEach(m -> response.addModels(toProto(m)));
        responses.onNext(response.build());
        responses.onCompleted();
    }

    @Override
    public void getModel(GetModelRequest request, StreamObserver<Model> responses) {
        if (request.getModelId().isBlank()) {
            responses.onError(GrpcStatuses.invalidArgument("model_id is required"));
            return;
        }
        repository.findById(request.getModelId()).ifPresentOrElse(m -> {
            responses.onNext(toProto(m));
            responses.onCompleted();
        }, () -> responses.onError(GrpcStatuses.notFound("model '" + request.getModelId() + "' is not registered")));
    }

    static Model toProto(RegisteredModel m) {
        var model = Model.newBuilder()
                .setId(m.id())
                .setOwnedBy(m.ownedBy())
                .setCreatedEpochSeconds(m.createdAt().getEpochSecond())
                .setDescription(m.description())
                .setLicence(m.licence())
                .setContextLength(m.contextLength())
                .setChatTemplate(m.chatTemplate());
        for (RegisteredModel.Artifact a : m.artifacts()) {
            model.addArtifacts(ModelArtifact.newBuilder()
                    .setVariantId(a.variantId())
                    .setFormat(a.format())
                    .setQuantization(a.quantization())
                    .setDeviceClass(a.deviceClass() == RegisteredModel.DeviceClass.GPU ? DeviceClass.DEVICE_CLASS_GPU : DeviceClass.DEVICE_CLASS_CPU)
                    .setUri(a.uri())
                    .setSha256(a.sha256())
                    .setSizeBytes(a.sizeBytes()));
        }
        return model.build();
    }
}
