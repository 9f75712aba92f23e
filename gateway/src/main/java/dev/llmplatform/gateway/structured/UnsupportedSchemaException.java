package dev.llmplatform.gateway.structured;

/** A valid JSON Schema that uses a feature the grammar cannot enforce exactly (so it is refused, not approximated). */
public final class UnsupportedSchemaException extends RuntimeException {

    public UnsupportedSchemaException(String message) {
        super(message);
    }

    static UnsupportedSchemaException feature(String feature, String pointer) {
        return new UnsupportedSchemaException(feature + " at " + pointer + " is not supported in structured outputs");
    }
}
