package dev.llmplatform.gateway.structured;

import java.util.List;
import java.util.function.Supplier;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;

/**
 * What a complete generation under {@link ToolCallGrammar}'s format means: tool calls, a plain answer, or (when
 * the text is not that format, e.g. cut short by max_tokens) raw text to return as content.
 */
public sealed interface ToolCallOutput {

    record Calls(List<ToolCall> calls) implements ToolCallOutput {
        public Calls {
            calls = List.copyOf(calls);
        }
    }

    /** The {@code response} string, unescaped. */
    record Answer(String content) implements ToolCallOutput {}

    record Text(String raw) implements ToolCallOutput {}

    static ToolCallOutput parse(String text) {
        return parse(text, ToolCall::newId);
    }

    /** Like {@link #parse(String)} with the call ids from {@code ids}. */
    static ToolCallOutput parse(String text, Supplier<String> ids) {
        try (JsonParser json = ToolCallFormat.JSON.createParser(text)) {
            return ToolCallFormat.read(json, text, ids);
        } catch (JacksonException | ToolCallFormat.NotTheFormat e) {
            return new Text(text);
        }
    }
}
