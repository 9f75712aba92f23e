package dev.llmplatform.commons.registry;

import dev.llmplatform.proto.v1.ListModelsResponse;
import dev.llmplatform.proto.v1.Model;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * A service's own copy of the registry's last known state (every model, as WatchModels last described it), kept in
 * one file so that a service that starts while the registry is down can load what it served before. Written whole
 * to a temporary file and renamed over the old one, so a crash mid-write leaves the previous copy, never half of one.
 */
public record SavedRegistryState(Path file) {

    /** The models of the saved copy; empty when there is none or it cannot be read (then it is only a missed shortcut). */
    public List<Model> read() throws IOException {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try (InputStream in = Files.newInputStream(file)) {
            return ListModelsResponse.parseFrom(in).getModelsList();
        }
    }

    public void write(Collection<Model> models) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        var sorted = models.stream().sorted(Comparator.comparing(Model::getId)).toList();
        Path partial = Files.createTempFile(dir, file.getFileName().toString(), ".partial");
        try {
            Files.write(partial, ListModelsResponse.newBuilder().addAllModels(sorted).build().toByteArray());
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
    }
}
