package dev.llmplatform.e2e;

import dev.llmplatform.launcher.LocalPlatform;
import dev.llmplatform.proto.v1.ListModelsRequest;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the registry holds, as one comparable list: each model with each artifact's URI and checksum, sorted. */
final class RegistrySnapshot {

    private RegistrySnapshot() {
    }

    static List<String> of(LocalPlatform platform) throws InterruptedException {
        var channel = platform.channel("model-registry", "admin");
        try {
            return ModelRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
                    .flatMap(m -> m.getArtifactsList().isEmpty() ? java.util.stream.Stream.of(m.getId())
                            : m.getArtifactsList().stream().map(a -> m.getId() + " " + a.getUri() + " " + a.getSha256()))
                    .sorted().toList();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
