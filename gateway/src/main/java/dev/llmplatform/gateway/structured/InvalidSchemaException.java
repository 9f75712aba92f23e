package dev.llmplatform.gateway.structured;

/** Input that is not a usable schema at all, or one too large or deep to turn into a grammar. */
public final class InvalidSchemaException extends RuntimeException {

    public InvalidSchemaException(String message) {
        super(message);
    }

    static InvalidSchemaException at(String pointer, String problem) {
        return new InvalidSchemaException("invalid schema at " + pointer + ": " + problem);
    }
}
