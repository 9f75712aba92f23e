package dev.llmplatform.gateway.structured;

import tools.jackson.databind.JsonNode;

/** The JSON types a schema can name, and the type of a JSON value. */
enum JsonType {
    OBJECT, ARRAY, STRING, NUMBER, INTEGER, BOOLEAN, NULL;

    static JsonType named(String name, String pointer) {
        return switch (name) {
            case "object" -> OBJECT;
            case "array" -> ARRAY;
            case "string" -> STRING;
            case "number" -> NUMBER;
            case "integer" -> INTEGER;
            case "boolean" -> BOOLEAN;
            case "null" -> NULL;
            default -> throw UnsupportedSchemaException.feature("type '" + name + "'", pointer);
        };
    }

    static JsonType of(JsonNode value) {
        if (value.isObject()) return OBJECT;
        if (value.isArray()) return ARRAY;
        if (value.isString()) return STRING;
        if (value.isBoolean()) return BOOLEAN;
        if (value.isNull()) return NULL;
        boolean integral = value.isIntegralNumber() || value.decimalValue().stripTrailingZeros().scale() <= 0;
        return integral ? INTEGER : NUMBER;
    }

    /** For overlap checks: every integer is also a number. */
    JsonType widened() {
        return this == INTEGER ? NUMBER : this;
    }

    boolean admits(JsonType valueType) {
        return this == valueType || (this == NUMBER && valueType == INTEGER);
    }
}
