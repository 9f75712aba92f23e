package dev.llmplatform.registry.infra.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;

/**
 * Artifacts as files under one directory (the laptop default). An upload is written to a temporary file in the
 * same directory tree, verified, then moved into place atomically; a refused upload deletes its temporary file.
 */
public final class LocalDirectoryArtifactStore implements ArtifactStore {

    private final Path root;
    private final Path incoming;

    public LocalDirectoryArtifactStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.incoming = this.root.resolve(".incoming");
        Files.createDirectories(incoming);
    }

    public Path root() {
        return root;
    }

    @Override
    public StoredArtifact put(String key, InputStream content, long declaredLength, String expectedSha256, long maxBytes) throws IOException {
        VerifyingInputStream.checkDeclaredLength(declaredLength, maxBytes);
        Path target = resolve(key);
        Path temp = incoming.resolve(UUID.randomUUID() + ".part");
        try {
            var verifying = new VerifyingInputStream(content, maxBytes);
            try (OutputStream out = Files.newOutputStream(temp)) {
                verifying.transferTo(out);
            }
            String actual = verifying.sha256();
            if (!expectedSha256.isEmpty() && !actual.equalsIgnoreCase(expectedSha256)) {
                throw VerifyingInputStream.mismatch(expectedSha256, actual);
            }
            Files.createDirectories(target.getParent());
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new StoredArtifact(target.toUri().toString(), actual, verifying.count(), Optional.of(target));
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public InputStream open(String uri) throws IOException {
        return Files.newInputStream(fileOf(uri));
    }

    @Override
    public boolean owns(String uri) {
        return uri.startsWith("file:") && fileOf(uri).startsWith(root);
    }

    @Override
    public void delete(String uri) throws IOException {
        if (owns(uri)) {
            Files.deleteIfExists(fileOf(uri));
        }
    }

    private Path resolve(String key) {
        Path target = root.resolve(key).normalize();
        if (!target.startsWith(root) || target.startsWith(incoming)) {
            throw new IllegalArgumentException("artifact key " + key + " leaves the store");
        }
        return target;
    }

    private static Path fileOf(String uri) {
        URI parsed = URI.create(uri);
        if (!"file".equals(parsed.getScheme())) {
            throw new IllegalArgumentException(uri + " is not a file: URI");
        }
        return Path.of(parsed).toAbsolutePath().normalize();
    }
}
