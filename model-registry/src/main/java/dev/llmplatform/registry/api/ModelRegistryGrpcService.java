package dev.llmplatform.registry.api;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.GetModelRequest;
import dev.llmplatform.proto.v1.ListModelsRequest;
import dev.llmplatform.proto.v1.ListModelsResponse;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.proto.v1.ModelVersion;
import dev.llmplatform.proto.v1.RegisterModelRequest;
import dev.llmplatform.proto.v1.RegisterVersionRequest;
import dev.llmplatform.proto.v1.ResolveModelRequest;
import dev.llmplatform.proto.v1.ResolvedModel;
import dev.llmplatform.proto.v1.SetVersionStageRequest;
import dev.llmplatform.proto.v1.VersionStage;
import dev.llmplatform.proto.v1.WatchModelsRequest;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.RegistryException;
import dev.llmplatform.registry.domain.Stage;
import dev.llmplatform.registry.domain.Task;
import dev.llmplatform.registry.domain.Variant;
import dev.llmplatform.registry.infra.ModelChangeFeed;
import dev.llmplatform.registry.infra.ModelStore;
import dev.llmplatform.registry.infra.RegistryOperations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Locale;
import java.util.function.Supplier;
import org.springframework.stereotype.Service;

@Service
public class ModelRegistryGrpcService extends ModelRegistryGrpc.ModelRegistryImplBase {

    private final ModelStore store;
    private final RegistryOperations operations;
    private final ModelChangeFeed feed;

    public ModelRegistryGrpcService(ModelStore store, RegistryOperations operations, ModelChangeFeed feed) {
        this.store = store;
        this.operations = operations;
        this.feed = feed;
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
        answer(responses, () -> ListModelsResponse.newBuilder()
                .addAllModels(store.findAll().stream().map(ModelProtos::model).toList()).build());
    }

    @Override
    public void getModel(GetModelRequest request, StreamObserver<Model> responses) {
        answer(responses, () -> ModelProtos.model(requireModel(request.getModelId())));
    }

    @Override
    public void resolveModel(ResolveModelRequest request, StreamObserver<ResolvedModel> responses) {
        answer(responses, () -> {
            RegisteredModel model = requireModel(request.getModelId());
            if (request.getDeviceClass() == DeviceClass.DEVICE_CLASS_UNSPECIFIED || request.getDeviceClass() == DeviceClass.UNRECOGNIZED) {
                throw new RegistryException.InvalidArgument("device_class is required (cpu or gpu)", "device_class");
            }
            var production = model.production().orElseThrow(() -> new RegistryException.NotFound(
                    "model '" + model.id() + "' has no version in production", "model_id"));
            Variant variant = production.variants().stream()
                    .filter(v -> ModelProtos.deviceClass(v.deviceClass()) == request.getDeviceClass())
                    .filter(v -> request.getFormat().isBlank() || v.format().name().equalsIgnoreCase(request.getFormat()))
                    .findFirst()
                    .orElseThrow(() -> new RegistryException.NotFound("version " + production.version() + " of '" + model.id()
                            + "' has no " + (request.getFormat().isBlank() ? "" : request.getFormat().toUpperCase(Locale.ROOT) + " ")
                            + "variant for " + request.getDeviceClass(), "device_class"));
            return ResolvedModel.newBuilder().setModel(ModelProtos.model(model)).setVersion(production.version())
                    .setVariant(ModelProtos.artifact(production, variant)).build();
        });
    }

    @Override
    public void watchModels(WatchModelsRequest request, StreamObserver<ModelEvent> responses) {
        var call = (ServerCallStreamObserver<ModelEvent>) responses;
        // onNext is not thread-safe; the feed calls each listener from one thread at a time.
        ModelChangeFeed.Subscription subscription = feed.subscribe(new ModelChangeFeed.Listener() {
            @Override
            public void onEvent(ModelChangeFeed.Event event) {
                send(ModelProtos.event(event));
            }

            @Override
            public void onSnapshotEnd(long revision) {
                send(ModelEvent.newBuilder().setRevision(revision).setKind(ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT_END).build());
            }

            private void send(ModelEvent event) {
                if (call.isCancelled()) {
                    throw new IllegalStateException("watcher went away");
                }
                call.onNext(event);
            }
        });
        call.setOnCancelHandler(subscription::close);
        if (call.isCancelled()) {
            subscription.close();
        }
    }

    @Override
    public void registerModel(RegisterModelRequest request, StreamObserver<Model> responses) {
        answer(responses, () -> ModelProtos.model(operations.registerModel(request.getModelId(), request.getOwnedBy(),
                request.getDescription(), Task.parse(request.getTask(), "task"))));
    }

    @Override
    public void registerVersion(RegisterVersionRequest request, StreamObserver<ModelVersion> responses) {
        answer(responses, () -> ModelProtos.version(operations.registerVersion(request.getModelId(), request.getVersion(),
                request.getDescription())));
    }

    @Override
    public void setVersionStage(SetVersionStageRequest request, StreamObserver<ModelVersion> responses) {
        answer(responses, () -> {
            if (request.getStage() == VersionStage.VERSION_STAGE_UNSPECIFIED || request.getStage() == VersionStage.UNRECOGNIZED) {
                throw new RegistryException.InvalidArgument("stage is required (staging, production or archived)", "stage");
            }
            Stage stage = Stage.valueOf(request.getStage().name().substring("VERSION_STAGE_".length()));
            return ModelProtos.version(operations.setStage(request.getModelId(), request.getVersion(), stage));
        });
    }

    private RegisteredModel requireModel(String id) {
        if (id.isBlank()) {
            throw new RegistryException.InvalidArgument("model_id is required", "model_id");
        }
        return store.findById(id).orElseThrow(() -> new RegistryException.NotFound("model '" + id + "' is not registered", "model_id"));
    }

    /**
     * One unary answer: the call's result, or its failure as the registry's status (shared by the batch store); the
     * database away is UNAVAILABLE ({@link DatabaseStatus}).
     */
    static <T> void answer(StreamObserver<T> responses, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RegistryException e) {
            responses.onError(status(e));
            return;
        } catch (RuntimeException e) {
            responses.onError(DatabaseStatus.from(e));
            return;
        }
        responses.onNext(result);
        responses.onCompleted();
    }

    static StatusRuntimeException status(RegistryException e) {
        Status status = switch (e) {
            case RegistryException.NotFound notFound -> Status.NOT_FOUND;
            case RegistryException.AlreadyExists exists -> Status.ALREADY_EXISTS;
            case RegistryException.InvalidArgument invalid -> Status.INVALID_ARGUMENT;
            case RegistryException.Conflict conflict -> Status.FAILED_PRECONDITION;
            case RegistryException.ChecksumMismatch mismatch -> Status.INVALID_ARGUMENT;
            case RegistryException.TooLarge tooLarge -> Status.RESOURCE_EXHAUSTED;
        };
        return status.withDescription(e.getMessage()).asRuntimeException();
    }
}
