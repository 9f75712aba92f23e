package dev.llmplatform.gateway.structured;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ToolCallOutputTest {

    static Supplier<String> ids() {
        AtomicInteger next = new AtomicInteger();
        return () -> "call_" + next.getAndIncrement();
    }

    @Test
    void readsToolCallsWithCompactArguments() {
        ToolCallOutput output = ToolCallOutput.parse("""
                {"tool_calls": [
                  {"name": "get_weather", "arguments": {"city": "Paris", "days": [1, 2.50, 1e3]}},
                  {"name": "get_time", "arguments": { }, "id": "model-made"}
                ]}""", ids());
        assertThat(output).isEqualTo(new ToolCallOutput.Calls(List.of(
                new ToolCall("call_0", "get_weather", "{\"city\":\"Paris\",\"days\":[1,2.50,1e3]}"),
                new ToolCall("call_1", "get_time", "{}"))));
    }

    @Test
    void keepsWhitespaceInsideArgumentStrings() {
        ToolCallOutput output = ToolCallOutput.parse(
                "{\"tool_calls\":[{\"name\":\"say\",\"arguments\":{\"text\": \"a  b\\n\\\" }\"}}]}", ids());
        assertThat(output).isEqualTo(new ToolCallOutput.Calls(
                List.of(new ToolCall("call_0", "say", "{\"text\":\"a  b\\n\\\" }\"}"))));
    }

    @Test
    void unwrapsAPlainAnswer() {
        assertThat(ToolCallOutput.parse("{\"response\": \"Caf\\u00e9 \\\"ouvert\\\"\\n\\ud83d\\ude00\"}"))
                .isEqualTo(new ToolCallOutput.Answer("Café \"ouvert\"\n😀"));
    }

    @Test
    void anythingElseIsRawText() {
        for (String text : List.of("It is sunny.", "{\"tool_calls\": [{\"name\": \"get_weather\", \"argu",
                "{\"tool_calls\": []}", "{\"response\": \"cut", "{\"answer\": \"x\"}", "{\"response\": \"x\"} more",
                "{\"tool_calls\": [{\"arguments\": {}, \"name\": \"f\"}]}",
                "{\"tool_calls\": [{\"name\": \"f\", \"arguments\": [1]}]}",
                "{\"tool_calls\": [{\"name\": \"f\", \"arguments\": {}, \"extra\": 1}]}", "")) {
            assertThat(ToolCallOutput.parse(text)).as(text).isEqualTo(new ToolCallOutput.Text(text));
        }
    }

    @Test
    void generatesOpenAiStyleIds() {
        ToolCallOutput.Calls calls = (ToolCallOutput.Calls) ToolCallOutput.parse(
                "{\"tool_calls\": [{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": {}}]}");
        assertThat(calls.calls()).allSatisfy(call -> assertThat(call.id()).matches("call_[A-Za-z0-9]{24}"));
        assertThat(calls.calls().get(0).id()).isNotEqualTo(calls.calls().get(1).id());
    }
}
