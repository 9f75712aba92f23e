package dev.llmplatform.worker.core.infra;

import java.nio.file.Path;

/** A GGUF a caller named by URI and SHA-256, as the registry lists it: found and checked, or why not. */
public sealed interface RegisteredFile {

    /** The file, whose bytes match the registry's SHA-256. */
    record Found(Path file) implements RegisteredFile {
    }

    /** The registry lists no artifact of the model with that URI and checksum for this worker's device classes. */
    record NotListed(String detail) implements RegisteredFile {
    }

    /** Listed, but the file is missing, not local, or its bytes do not match the registry's SHA-256. */
    record Unusable(String detail) implements RegisteredFile {
    }
}
