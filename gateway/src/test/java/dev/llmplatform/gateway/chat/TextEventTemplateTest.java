package dev.llmplatform.gateway.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.gateway.chat.OpenAiResponses.ChatCompletionChunk;
import dev.llmplatform.gateway.chat.OpenAiResponses.ChunkChoice;
import dev.llmplatform.gateway.chat.OpenAiResponses.Delta;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class TextEventTemplateTest {

    private final JsonMapper json = JsonMapper.builder().build();

    private static ChatCompletionChunk chunk(String text) {
        return new ChatCompletionChunk("chatcmpl-1", "chat.completion.chunk", 1700000000L, "tiny \"kjv\" chat",
                List.of(new ChunkChoice(2, new Delta(null, text), null, null)), null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "In the beginning", " \"quoted\" \\ back", "tab\tnew\nline\r\u0000\u001f", "ünïcödé – 中文 🙂",
            "</script>", "\u2028\u2029", "TEXT"})
    void writesTheBytesJacksonWritesForTheWholeEvent(String text) {
        var template = TextEventTemplate.of(json, TextEventTemplateTest::chunk);

        String expected = "data: " + json.writeValueAsString(chunk(text)) + "\n\n";
        assertThat(new String(template.frame(text).bytes(), StandardCharsets.UTF_8)).isEqualTo(expected);
    }

    @Test
    void refusesAnEventThatDoesNotHoldItsTextExactlyOnce() {
        assertThatThrownBy(() -> TextEventTemplate.of(json, text -> List.of("fixed")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TextEventTemplate.of(json, text -> List.of(text, text)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
