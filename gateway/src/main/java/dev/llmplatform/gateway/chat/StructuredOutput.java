package dev.llmplatform.gateway.chat;

import dev.llmplatform.gateway.domain.OutputForm;
import dev.llmplatform.gateway.errors.ApiException;
import dev.llmplatform.gateway.structured.InvalidSchemaException;
import dev.llmplatform.gateway.structured.JsonSchemaGrammar;
import dev.llmplatform.gateway.structured.ToolCallGrammar;
import dev.llmplatform.gateway.structured.ToolChoice;
import dev.llmplatform.gateway.structured.UnsupportedSchemaException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * A chat request's response_format, tools, tool_choice and parallel_tool_calls, checked and turned into what
 * the engine enforces (a grammar) and how the answer is read back (the {@link OutputForm}).
 *
 * @param grammar   GBNF for the engine, empty when the output is free
 * @param form      content, or tool calls to parse out of the output
 * @param toolsJson the tools array for the chat template, empty when the request offers none
 */
record StructuredOutput(String grammar, OutputForm form, String toolsJson) {

    static final StructuredOutput NONE = new StructuredOutput("", OutputForm.CONTENT, "");

    /** OpenAI's rule for function and schema names. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final int MAX_TOOLS = 128;

    static StructuredOutput parse(JsonNode body) {
        String format = responseFormat(present(body, "response_format"));
        JsonNode tools = present(body, "tools");
        JsonNode toolChoice = present(body, "tool_choice");
        JsonNode parallel = present(body, "parallel_tool_calls");
        if (parallel != null && !parallel.isBoolean()) {
            throw ApiException.invalid("parallel_tool_calls", "Invalid type for 'parallel_tool_calls': expected a boolean.");
        }
        if (tools == null) {
            if (toolChoice != null) {
                throw ApiException.invalid("tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.");
            }
            return new StructuredOutput(format, OutputForm.CONTENT, "");
        }
        List<String> names = tools(tools);
        ToolChoice choice = toolChoice(toolChoice, names);
        if (choice instanceof ToolChoice.None) {
            return new StructuredOutput(format, OutputForm.CONTENT, tools.toString());
        }
        if (!format.isEmpty()) {
            throw ApiException.invalid("response_format", "A 'response_format' other than 'text' together with 'tools' is not supported "
                    + "unless 'tool_choice' is 'none'.");
        }
        String grammar;
        try {
            grammar = ToolCallGrammar.forTools(tools, choice, parallel == null || parallel.booleanValue());
        } catch (UnsupportedSchemaException | InvalidSchemaException e) {
            throw ApiException.invalid("tools", "Invalid 'tools': " + e.getMessage());
        }
        return new StructuredOutput(grammar, new OutputForm.ToolCalls(choice instanceof ToolChoice.Auto, names), tools.toString());
    }

    private static JsonNode present(JsonNode body, String field) {
        JsonNode node = body.get(field);
        return node == null || node.isNull() ? null : node;
    }

    /** The grammar response_format asks for: empty for text. */
    private static String responseFormat(JsonNode format) {
        if (format == null) {
            return "";
        }
        if (!format.isObject()) {
            throw ApiException.invalid("response_format", "Invalid type for 'response_format': expected an object.");
        }
        JsonNode type = format.get("type");
        if (type == null || !type.isString()) {
            throw ApiException.invalid("response_format.type", "Missing required parameter: 'response_format.type'.");
        }
        return switch (type.stringValue()) {
            case "text" -> "";
            case "json_object" -> JsonSchemaGrammar.anyJsonObject();
            case "json_schema" -> jsonSchema(format.get("json_schema"));
            default -> throw ApiException.invalid("response_format.type", "Invalid value for 'response_format.type': '"
                    + type.stringValue() + "'. Supported values are: 'text', 'json_object' and 'json_schema'.");
        };
    }

    private static String jsonSchema(JsonNode jsonSchema) {
        String param = "response_format.json_schema";
        if (jsonSchema == null || jsonSchema.isNull()) {
            throw ApiException.invalid(param, "Missing required parameter: '" + param + "'.");
        }
        if (!jsonSchema.isObject()) {
            throw ApiException.invalid(param, "Invalid type for '" + param + "': expected an object.");
        }
        JsonNode name = jsonSchema.get("name");
        if (name == null || !name.isString() || !NAME.matcher(name.stringValue()).matches()) {
            throw ApiException.invalid(param + ".name", "Invalid '" + param + ".name': expected a string of letters, digits, "
                    + "underscores and dashes, at most 64 characters.");
        }
        JsonNode strict = jsonSchema.get("strict");
        if (strict != null && !strict.isNull() && !strict.isBoolean()) {
            throw ApiException.invalid(param + ".strict", "Invalid type for '" + param + ".strict': expected a boolean.");
        }
        JsonNode schema = jsonSchema.get("schema");
        if (schema == null || schema.isNull()) {
            return JsonSchemaGrammar.anyJsonObject();
        }
        try {
            return JsonSchemaGrammar.fromSchema(schema);
        } catch (UnsupportedSchemaException | InvalidSchemaException e) {
            throw ApiException.invalid(param + ".schema", "Invalid schema for response_format '" + name.stringValue() + "': "
                    + e.getMessage());
        }
    }

    /** The function names, after checking each tool's shape. */
    private static List<String> tools(JsonNode tools) {
        if (!tools.isArray()) {
            throw ApiException.invalid("tools", "Invalid type for 'tools': expected an array of tools.");
        }
        if (tools.isEmpty()) {
            throw ApiException.invalid("tools", "Invalid 'tools': empty array. Expected at least one tool.");
        }
        if (tools.size() > MAX_TOOLS) {
            throw ApiException.invalid("tools", "Invalid 'tools': at most " + MAX_TOOLS + " tools are allowed.");
        }
        List<String> names = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            String param = "tools[" + i + "]";
            JsonNode tool = tools.get(i);
            if (!tool.isObject()) {
                throw ApiException.invalid(param, "Invalid type for '" + param + "': expected an object.");
            }
            JsonNode type = tool.get("type");
            if (type == null || !type.isString() || !type.stringValue().equals("function")) {
                throw ApiException.invalid(param + ".type", "Invalid value for '" + param + ".type': only 'function' tools are supported.");
            }
            JsonNode function = tool.get("function");
            if (function == null || !function.isObject()) {
                throw ApiException.invalid(param + ".function", "Missing required parameter: '" + param + ".function'.");
            }
            JsonNode name = function.get("name");
            if (name == null || !name.isString() || !NAME.matcher(name.stringValue()).matches()) {
                throw ApiException.invalid(param + ".function.name", "Invalid '" + param + ".function.name': expected a string of "
                        + "letters, digits, underscores and dashes, at most 64 characters.");
            }
            if (!seen.add(name.stringValue())) {
                throw ApiException.invalid(param + ".function.name", "Invalid 'tools': the function name '" + name.stringValue()
                        + "' is used more than once.");
            }
            JsonNode description = function.get("description");
            if (description != null && !description.isNull() && !description.isString()) {
                throw ApiException.invalid(param + ".function.description", "Invalid type for '" + param
                        + ".function.description': expected a string.");
            }
            JsonNode parameters = function.get("parameters");
            if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
                throw ApiException.invalid(param + ".function.parameters", "Invalid type for '" + param
                        + ".function.parameters': expected a JSON schema object.");
            }
            JsonNode strict = function.get("strict");
            if (strict != null && !strict.isNull() && !strict.isBoolean()) {
                throw ApiException.invalid(param + ".function.strict", "Invalid type for '" + param + ".function.strict': expected a boolean.");
            }
            names.add(name.stringValue());
        }
        return names;
    }

    private static ToolChoice toolChoice(JsonNode node, List<String> names) {
        if (node != null && !node.isString() && !node.isObject()) {
            throw ApiException.invalid("tool_choice", "Invalid type for 'tool_choice': expected 'none', 'auto', 'required' or an object naming a function.");
        }
        ToolChoice choice;
        try {
            choice = ToolChoice.of(node);
        } catch (InvalidSchemaException e) {
            throw ApiException.invalid("tool_choice", "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or "
                    + "{\"type\": \"function\", \"function\": {\"name\": ...}}.");
        }
        if (choice instanceof ToolChoice.Named named && !names.contains(named.name())) {
            throw ApiException.invalid("tool_choice", "Invalid value for 'tool_choice': no function named '" + named.name()
                    + "' is in 'tools'.");
        }
        return choice;
    }
}
