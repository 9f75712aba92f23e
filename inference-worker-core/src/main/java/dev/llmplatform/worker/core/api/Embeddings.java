package dev.llmplatform.worker.core.api;

import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.proto.v1.WorkerEmbedRequest;
import dev.llmplatform.proto.v1.WorkerEmbedResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;

/** The Embed half of the worker contract, served by the deployables that have embedding models (the CPU worker). */
public interface Embeddings {

    void embed(WorkerEmbedRequest request, StreamObserver<WorkerEmbedResponse> responses);

    /** The embedding models to list in the load report. */
    List<LoadedModel> loadedModels();
}
