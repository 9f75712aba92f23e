package dev.llmplatform.gateway.structured;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The grammar for a chat completion with tools, in the shape llama.cpp's generic tool polyfill teaches the model:
 * {@code {"tool_calls": [{"name": "f", "arguments": {...}}]}}, or with {@code auto} also
 * {@code {"response": "..."}} for a plain answer. Each call's arguments conform to that function's parameters.
 */
public final class ToolCallGrammar {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ToolCallGrammar() {}

    /**
     * @param tools the request's {@code tools} array
     * @param choice {@link ToolChoice.Auto}, {@link ToolChoice.Required} or {@link ToolChoice.Named}
     * @param parallelToolCalls false allows exactly one call
     * @throws UnsupportedSchemaException when a tool's parameters use a feature the grammar cannot enforce
     * @throws InvalidSchemaException when the tools or the choice are malformed
     */
    public static String forTools(JsonNode tools, ToolChoice choice, boolean parallelToolCalls) {
        if (choice instanceof ToolChoice.None) {
            throw new IllegalArgumentException("tool_choice 'none' needs no tool grammar");
        }
        if (tools == null || !tools.isArray() || tools.isEmpty()) {
            throw InvalidSchemaException.at("#/tools", "must be a non-empty array of tools");
        }
        GbnfRules rules = new GbnfRules();
        rules.primitive("ws");
        List<String> calls = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            String pointer = "#/tools/" + i;
            JsonNode tool = tools.get(i);
            JsonNode function = tool.path("function");
            if (!tool.path("type").asString("").equals("function") || !function.isObject()) {
                throw InvalidSchemaException.at(pointer, "a tool must be {\"type\": \"function\", \"function\": {...}}");
            }
            JsonNode name = function.get("name");
            if (name == null || !name.isString() || name.stringValue().isEmpty()) {
                throw InvalidSchemaException.at(pointer + "/function/name", "must be a non-empty string");
            }
            if (!names.add(name.stringValue())) {
                throw InvalidSchemaException.at(pointer + "/function/name",
                        "'" + name.stringValue() + "' names two tools");
            }
            if (choice instanceof ToolChoice.Named named && !named.name().equals(name.stringValue())) {
                continue;
            }
            String arguments;
            try {
                JsonNode parameters = objectSchema(function.get("parameters"), pointer + "/function/parameters");
                arguments = parameters == null
                        ? rules.primitive("object")
                        : JsonSchemaGrammar.valueExpression(rules, parameters, pointer + "/function/parameters",
                                "tool-" + i + "-");
            } catch (UnsupportedSchemaException e) {
                throw new UnsupportedSchemaException(e.getMessage() + " (tool '" + name.stringValue() + "')");
            } catch (InvalidSchemaException e) {
                throw new InvalidSchemaException(e.getMessage() + " (tool '" + name.stringValue() + "')");
            }
            String call = rules.newName("call-" + i + "-" + name.stringValue());
            rules.define(call, "\"{\" ws \"\\\"name\\\"\" ws \":\" ws "
                    + GbnfRules.literal(JSON.writeValueAsString(name.stringValue()))
                    + " ws \",\" ws \"\\\"arguments\\\"\" ws \":\" ws " + arguments + " ws \"}\"");
            calls.add(call);
        }
        if (calls.isEmpty() && choice instanceof ToolChoice.Named named) {
            throw InvalidSchemaException.at("#/tool_choice", "names '" + named.name() + "', which is not a tool");
        }
        String call = calls.size() == 1 ? calls.getFirst() : "(" + String.join(" | ", calls) + ")";
        String list = parallelToolCalls ? call + " (ws \",\" ws " + call + ")*" : call;
        String toolCalls = rules.newName("tool-calls");
        rules.define(toolCalls, "\"{\" ws \"\\\"tool_calls\\\"\" ws \":\" ws \"[\" ws " + list + " ws \"]\" ws \"}\"");
        if (!(choice instanceof ToolChoice.Auto)) {
            return rules.render(toolCalls);
        }
        String answer = rules.newName("answer");
        rules.define(answer, "\"{\" ws \"\\\"response\\\"\" ws \":\" ws " + rules.primitive("string") + " ws \"}\"");
        return rules.render(toolCalls + " | " + answer);
    }

    /**
     * Arguments are always a JSON object (the parsers rely on it): a schema that says nothing about the type is
     * read as an object schema, one that allows anything else is refused. Null means any object.
     */
    private static JsonNode objectSchema(JsonNode parameters, String pointer) {
        if (parameters == null || parameters.isNull() || (parameters.isBoolean() && parameters.booleanValue())) {
            return null;
        }
        if (!parameters.isObject()) {
            throw InvalidSchemaException.at(pointer, "must be a JSON Schema object");
        }
        JsonNode type = parameters.get("type");
        if (type != null && type.isString() && type.stringValue().equals("object")) {
            return parameters;
        }
        boolean saysNothingOfType = type == null
                && Set.of("$ref", "anyOf", "oneOf", "enum", "const", "items", "minItems", "maxItems").stream()
                        .noneMatch(parameters::has);
        if (!saysNothingOfType) {
            throw UnsupportedSchemaException.feature("parameters that are not an object schema", pointer);
        }
        tools.jackson.databind.node.ObjectNode asObject = (tools.jackson.databind.node.ObjectNode) parameters.deepCopy();
        asObject.put("type", "object");
        return asObject;
    }
}
