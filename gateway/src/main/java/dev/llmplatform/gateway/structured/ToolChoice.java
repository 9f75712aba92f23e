package dev.llmplatform.gateway.structured;

import tools.jackson.databind.JsonNode;

/** OpenAI's {@code tool_choice}: whether the model may answer, must call some tool, or must call one named tool. */
public sealed interface ToolChoice {

    /** A tool call or a plain answer, as the model prefers. */
    record Auto() implements ToolChoice {}

    /** One or more tool calls. */
    record Required() implements ToolChoice {}

    /** Calls of exactly this function. */
    record Named(String name) implements ToolChoice {}

    /** No tool call: no tool grammar applies. */
    record None() implements ToolChoice {}

    /**
     * Reads the request's {@code tool_choice}; absent means {@code auto} (OpenAI's default when tools are given).
     *
     * @throws InvalidSchemaException when it is none of OpenAI's forms
     */
    static ToolChoice of(JsonNode toolChoice) {
        if (toolChoice == null || toolChoice.isNull() || toolChoice.isMissingNode()) {
            return new Auto();
        }
        if (toolChoice.isString()) {
            return switch (toolChoice.stringValue()) {
                case "auto" -> new Auto();
                case "required" -> new Required();
                case "none" -> new None();
                default -> throw InvalidSchemaException.at("#/tool_choice",
                        "must be 'auto', 'required', 'none' or a function");
            };
        }
        JsonNode name = toolChoice.path("function").path("name");
        if (toolChoice.path("type").asString("").equals("function") && name.isString()) {
            return new Named(name.stringValue());
        }
        throw InvalidSchemaException.at("#/tool_choice", "must be 'auto', 'required', 'none' or a function");
    }
}
