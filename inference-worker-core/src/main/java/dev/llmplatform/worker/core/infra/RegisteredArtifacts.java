package dev.llmplatform.worker.core.infra;

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
 * @param policy  which of a class's variants it serves
 */
record RegisteredArtifacts(List<DeviceClass> classes, VariantPolicy policy) {

    /** The production GGUF for this worker. */
    Optional<ModelArtifact> production(Model model) {
        return productionChoice(model).map(VariantPolicy.Choice::artifact);
    }

    /**
     * The production GGUF for this worker, and why: among the variants of the first of its device classes that has
     * any, the one the {@link VariantPolicy} picks.
     */
    Optional<VariantPolicy.Choice> productionChoice(Model model) {
        for (DeviceClass c : classes) {
            List<ModelArtifact> variants = model.getArtifactsList().stream()
                    .filter(a -> a.getDeviceClass() == c && a.getFormat().equalsIgnoreCase("GGUF")).toList();
            if (!variants.isEmpty()) {
                return policy.choose(model.getId(), variants);
            }
        }
        return Optional.empty();
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
