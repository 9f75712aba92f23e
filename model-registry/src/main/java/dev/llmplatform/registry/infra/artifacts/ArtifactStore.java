package dev.llmplatform.registry.infra.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Where model artifacts live. Uploads are streamed (never held whole in memory), checked against the SHA-256 the
 * caller declared and the size limit, and become visible under their final name only when both hold: a refused
 * upload leaves nothing behind.
 */
public interface ArtifactStore {

    /**
     * @param key            the artifact's name inside the store, e.g. {@code model/version/variant/file.gguf}
     * @param declaredLength the Content-Length, or -1 when unknown
     * @param expectedSha256 the SHA-256 the caller declared, or empty to store whatever arrives (files that the
     *                       registry itself produces or receives without a checksum); the actual one is returned
     * @throws dev.llmplatform.registry.domain.RegistryException.ChecksumMismatch when the bytes do not match
     * @throws dev.llmplatform.registry.domain.RegistryException.TooLarge when more than {@code maxBytes} arrive
     */
    StoredArtifact put(String key, InputStream content, long declaredLength, String expectedSha256, long maxBytes) throws IOException;

    /** Opens a stored artifact for reading; {@code uri} as {@link #put} returned it. */
    InputStream open(String uri) throws IOException;

    /** Whether this store manages (and may delete) the artifact at {@code uri}. */
    boolean owns(String uri);

    void delete(String uri) throws IOException;

    /**
     * @param localFile the file on this machine, when the store is a local directory (lets the registry read GGUF
     *                  metadata from it)
     */
    record StoredArtifact(String uri, String sha256, long sizeBytes, Optional<java.nio.file.Path> localFile) {
    }
}
