package dev.llmplatform.worker.core.infra;

import dev.llmplatform.commons.registry.RegistryModels;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelVersion;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Which of a registered model's artifacts this worker loads, and which a LoadModel call may name.
 *
 * @param classes device classes of the GGUF artifacts the worker loads, preferred first (a GPU worker takes the GPU
 *                variant where there is one, else the CPU GGUF: the same format)
 */
record RegisteredArtifacts(List<DeviceClass> classes) {

    /** The production GGUF for this worker. */
    Optional<ModelArtifact> production(Model model) {
        return classes.stream().flatMap(c -> RegistryModels.gguf(model, c).stream()).findFirst();
    }

    /**
     * The GGUF artifact a LoadModel request names: the production one when {@code uri} is empty, else the artifact
     * of any registered version with exactly that URI. A {@code sha256} in the request must be the registry's; an
     * artifact the registry gives no checksum for is never loaded this way.
     */
    Optional<ModelArtifact> resolve(Model model, String uri, String sha256) {
        Stream<ModelArtifact> candidates = uri.isEmpty()
                ? production(model).stream()
                : Stream.concat(model.getArtifactsList().stream(),
                                model.getVersionsList().stream().map(ModelVersion::getVariantsList).flatMap(List::stream))
                        .filter(a -> classes.contains(a.getDeviceClass()) && a.getFormat().equalsIgnoreCase("GGUF"))
                        .filter(a -> a.getUri().equals(uri));
        return candidates
                .filter(a -> !a.getSha256().isBlank())
                .filter(a -> sha256.isEmpty() || a.getSha256().equalsIgnoreCase(sha256))
                .findFirst();
    }
}
