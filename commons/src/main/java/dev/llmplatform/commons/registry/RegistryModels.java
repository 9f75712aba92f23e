package dev.llmplatform.commons.registry;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.ListModelsRequest;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** How services that load models (workers, tokenizer) read the registry at start. */
public final class RegistryModels {

    private RegistryModels() {
    }

    /**
     * Lists the registered models, asking again every {@code retry} while the registry is not reachable (services
     * start in any order); {@code onWait} hears why each attempt failed.
     */
    public static List<Model> await(Channel registry, Duration retry, Consumer<String> onWait) throws InterruptedException {
        return await(registry, retry, Optional.empty(), onWait);
    }

    /**
     * The same, but when the registry does not answer the first time and {@code saved} holds a copy of its state
     * (see {@link RegistryWatch}), that copy is the answer: a service restarted while the registry is down loads
     * what it had.
     */
    public static List<Model> await(Channel registry, Duration retry, Optional<SavedRegistryState> saved, Consumer<String> onWait)
            throws InterruptedException {
        var stub = ModelRegistryGrpc.newBlockingStub(registry);
        boolean first = true;
        while (true) {
            try {
                return stub.withDeadlineAfter(10, TimeUnit.SECONDS).listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
            } catch (StatusRuntimeException e) {
                onWait.accept(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
                if (first && saved.isPresent()) {
                    List<Model> copy = readQuietly(saved.get());
                    if (!copy.isEmpty()) {
                        onWait.accept("using the registry's last known state saved in " + saved.get().file());
                        return copy;
                    }
                }
                first = false;
                Thread.sleep(retry);
            }
        }
    }

    private static List<Model> readQuietly(SavedRegistryState saved) {
        try {
            return saved.read();
        } catch (java.io.IOException | RuntimeException unreadable) {
            return List.of();
        }
    }

    /** The model's GGUF artifact for a device class, if it has one. */
    public static Optional<ModelArtifact> gguf(Model model, DeviceClass deviceClass) {
        return model.getArtifactsList().stream()
                .filter(a -> a.getDeviceClass() == deviceClass && a.getFormat().equalsIgnoreCase("GGUF"))
                .findFirst();
    }
}
