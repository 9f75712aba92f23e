package dev.llmplatform.tokenizer.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ToolsPromptTest {

    @Test
    void eachFunctionIsOneSignatureWithItsDescription() {
        String tools = """
                [{"type": "function", "function": {"name": "get_weather", "description": " Weather now ",
                  "parameters": {"type": "object", "required": ["city"], "properties": {
                    "city": {"type": "string"}, "unit": {"enum": ["C", "F"]},
                    "days": {"type": "array", "items": {"type": "integer"}},
                    "where": {"type": "object", "properties": {"lat": {"type": "number"}}, "required": ["lat"]},
                    "note": {"type": ["string", "null"]}, "place": {"$ref": "#/$defs/Place"}}}}},
                 {"type": "function", "function": {"name": "now"}}]""";

        assertThat(ToolsPrompt.describe(tools)).isEqualTo("""
                You can call these functions:
                get_weather(city: string, unit?: "C"|"F", days?: array of integer, where?: {lat: number}, \
                note?: string or null, place?: Place) - Weather now
                now()
                To call functions, reply only with {"tool_calls": [{"name": "function", "arguments": {...}}]}; \
                otherwise reply with {"response": "your answer"}.""");
    }

    @Test
    void toolsThatAreNotAnArrayOfNamedFunctionsAreRefused() {
        assertThatThrownBy(() -> ToolsPrompt.describe("{")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ToolsPrompt.describe("{}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ToolsPrompt.describe("[{\"type\": \"function\"}]")).isInstanceOf(IllegalArgumentException.class);
    }
}
