package dev.llmplatform.tokenizer.domain;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The tools described in a few lines, for a chat template that takes no tools: one signature per function and the
 * JSON form of a call. llama.cpp's own fallback prints every schema in full, which takes several hundred tokens of
 * a small model's context (681 for one two-parameter function with the default model, whose context is 512).
 */
public final class ToolsPrompt {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_DEPTH = 4;

    private ToolsPrompt() {
    }

    /**
     * @param toolsJson the OpenAI tools array
     * @throws IllegalArgumentException when it is not an array of function tools
     */
    public static String describe(String toolsJson) {
        JsonNode tools;
        try {
            tools = JSON.readTree(toolsJson);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("tools is not JSON: " + e.getOriginalMessage());
        }
        if (!tools.isArray()) {
            throw new IllegalArgumentException("tools must be a JSON array");
        }
        var text = new StringBuilder("You can call these functions:\n");
        for (JsonNode tool : tools) {
            JsonNode function = tool.path("function");
            if (!function.path("name").isString()) {
                throw new IllegalArgumentException("each tool must be a function with a name");
            }
            text.append(function.path("name").stringValue()).append('(')
                    .append(String.join(", ", parameters(function.path("parameters"))))
                    .append(')');
            String description = function.path("description").asString("");
            if (!description.isBlank()) {
                text.append(" - ").append(description.strip());
            }
            text.append('\n');
        }
        return text.append("To call functions, reply only with {\"tool_calls\": [{\"name\": \"function\", \"arguments\": {...}}]}; "
                + "otherwise reply with {\"response\": \"your answer\"}.").toString();
    }

    private static List<String> parameters(JsonNode schema) {
        List<String> parameters = new ArrayList<>();
        JsonNode properties = schema.path("properties");
        if (!properties.isObject()) {
            return parameters;
        }
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(name -> required.add(name.asString("")));
        for (var property : properties.properties()) {
            parameters.add(property.getKey() + (required.contains(property.getKey()) ? "" : "?") + ": "
                    + type(property.getValue(), 0));
        }
        return parameters;
    }

    /** A short type: enum values, "array of T", "{a: T, b?: T}", a $ref's name, or the JSON type. */
    static String type(JsonNode schema, int depth) {
        if (depth > MAX_DEPTH || !schema.isObject()) {
            return "any";
        }
        if (schema.has("enum")) {
            List<String> values = new ArrayList<>();
            schema.get("enum").forEach(value -> values.add(value.toString()));
            return String.join("|", values);
        }
        if (schema.has("const")) {
            return schema.get("const").toString();
        }
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asString("");
            return ref.substring(ref.lastIndexOf('/') + 1);
        }
        if (schema.has("anyOf")) {
            List<String> alternatives = new ArrayList<>();
            schema.get("anyOf").forEach(alternative -> alternatives.add(type(alternative, depth + 1)));
            return String.join(" or ", alternatives);
        }
        JsonNode type = schema.path("type");
        if (type.isArray()) {
            List<String> types = new ArrayList<>();
            type.forEach(t -> types.add(t.asString("any")));
            return String.join(" or ", types);
        }
        return switch (type.asString("any")) {
            case "array" -> "array of " + type(schema.path("items"), depth + 1);
            case "object" -> schema.path("properties").isObject()
                    ? "{" + String.join(", ", parameters(schema)) + "}"
                    : "object";
            default -> type.asString("any");
        };
    }
}
