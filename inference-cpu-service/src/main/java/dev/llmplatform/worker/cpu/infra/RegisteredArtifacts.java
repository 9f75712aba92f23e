package dev.llmplatform.worker.cpu.infra;

import dev.llmplatform.commons.registry.RegistryModels;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelVersion;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Which of a registered model's artifacts a LoadModel call may name. */
final class RegisteredArtifacts {

    private RegisteredArtifacts() {
    }

    /**
     * The CPU GGUF artifact the request names: the production one when {@code uri} is empty, else the artifact of
     * any registered version with exactly that URI. A {@code sha256} in the request must be the registry's; an
     * artifact the registry gives no checksum for is never loaded this way.
     */
    static Optional<ModelArtifact> resolve(Model model, String uri, String sha256) {
        Stream<ModelArtifact> candidates = uri.isEmpty()
                ? RegistryModels.gguf(model, DeviceClass.DEVICE_CLASS_CPU).stream()
                : Stream.concat(model.getArtifactsList().stream(),
                                model.getVersionsList().stream().map(ModelVersion::getVariantsList).flatMap(List::stream))
                        .filter(a -> a.getDeviceClass() == DeviceClass.DEVICE_CLASS_CPU && a.getFormat().equalsIgnoreCase("GGUF"))
                        .filter(a -> a.getUri().equals(uri));
        return candidates
                .filter(a -> !a.getSha256().isBlank())
                .filter(a -> sha256.isEmpty() || a.getSha256().equalsIgnoreCase(sha256))
                .findFirst();
    }
}
