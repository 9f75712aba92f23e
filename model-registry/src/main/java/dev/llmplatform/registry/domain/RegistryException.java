package dev.llmplatform.registry.domain;

/**
 * Why a registry operation was refused. Each kind maps to one HTTP status outside (REST) and one gRPC status
 * inside; {@code param} names the offending input where there is one.
 */
public abstract sealed class RegistryException extends RuntimeException {

    private final String param;

    private RegistryException(String message, String param) {
        super(message);
        this.param = param;
    }

    public String param() {
        return param;
    }

    /** A short machine-readable code for clients. */
    public abstract String code();

    public static final class NotFound extends RegistryException {
        public NotFound(String message, String param) {
            super(message, param);
        }

        @Override
        public String code() {
            return "not_found";
        }
    }

    public static final class AlreadyExists extends RegistryException {
        public AlreadyExists(String message, String param) {
            super(message, param);
        }

        @Override
        public String code() {
            return "already_exists";
        }
    }

    public static final class InvalidArgument extends RegistryException {
        public InvalidArgument(String message, String param) {
            super(message, param);
        }

        @Override
        public String code() {
            return "invalid_argument";
        }
    }

    /** The request is well-formed but the registry's state does not allow it (e.g. archiving the production version). */
    public static final class Conflict extends RegistryException {
        public Conflict(String message, String param) {
            super(message, param);
        }

        @Override
        public String code() {
            return "conflict";
        }
    }

    /** The uploaded bytes do not have the SHA-256 the caller declared; nothing was stored. */
    public static final class ChecksumMismatch extends RegistryException {
        public ChecksumMismatch(String message) {
            super(message, "sha256");
        }

        @Override
        public String code() {
            return "checksum_mismatch";
        }
    }

    /** The upload is larger than the registry accepts; nothing was stored. */
    public static final class TooLarge extends RegistryException {
        public TooLarge(String message) {
            super(message, null);
        }

        @Override
        public String code() {
            return "artifact_too_large";
        }
    }
}
