package dev.llmplatform.worker.gpu.api;

import dev.llmplatform.commons.grpc.PeriodicStream;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadModelRequest;
import dev.llmplatform.proto.v1.LoadModelResponse;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.UnloadModelRequest;
import dev.llmplatform.proto.v1.UnloadModelResponse;
import dev.llmplatform.proto.v1.WatchLoadRequest;
import dev.llmplatform.proto.v1.WorkerEmbedRequest;
import dev.llmplatform.proto.v1.WorkerEmbedResponse;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.worker.gpu.config.GpuWorkerProperties;
import dev.llmplatform.worker.gpu.infra.GpuReadiness;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Service;

/**
 * The worker contract on a GPU worker. Until a CUDA engine is loaded it never pretends: it reports itself not
 * ready with the reason, so the scheduler sends it nothing, and refuses work with UNAVAILABLE.
 */
@Service
public class GpuWorkerGrpcService extends InferenceWorkerGrpc.InferenceWorkerImplBase {

    private final GpuWorkerProperties properties;
    private final GpuReadiness readiness;

    public GpuWorkerGrpcService(GpuWorkerProperties properties, GpuReadiness readiness) {
        this.properties = properties;
        this.readiness = readiness;
    }

    @Override
    public void generate(WorkerGenerateRequest request, StreamObserver<WorkerGenerateChunk> responses) {
        responses.onError(unavailable());
    }

    @Override
    public void embed(WorkerEmbedRequest request, StreamObserver<WorkerEmbedResponse> responses) {
        responses.onError(unavailable());
    }

    @Override
    public void loadModel(LoadModelRequest request, StreamObserver<LoadModelResponse> responses) {
        responses.onError(unavailable());
    }

    @Override
    public void unloadModel(UnloadModelRequest request, StreamObserver<UnloadModelResponse> responses) {
        responses.onError(Status.NOT_FOUND.withDescription("no model is loaded on " + properties.workerId()).asRuntimeException());
    }

    @Override
    public void getLoad(GetLoadRequest request, StreamObserver<LoadReport> responses) {
        responses.onNext(report());
        responses.onCompleted();
    }

    @Override
    public void watchLoad(WatchLoadRequest request, StreamObserver<LoadReport> responses) {
        PeriodicStream.start(responses, request.getIntervalMillis(), this::report);
    }

    private LoadReport report() {
        return LoadReport.newBuilder()
                .setWorkerId(properties.workerId())
                .setDeviceClass(DeviceClass.DEVICE_CLASS_GPU)
                .setReady(false)
                .setNotReadyReason(readiness.reason())
                .build();
    }

    private io.grpc.StatusRuntimeException unavailable() {
        return Status.UNAVAILABLE.withDescription("worker " + properties.workerId() + " is not ready: " + readiness.reason())
                .asRuntimeException();
    }
}
