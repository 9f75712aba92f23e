package dev.llmplatform.tokenizer.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.tokenizer.domain.ModelTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The default model's tokenizer on long chat prompts. */
class LlamaCppTokenizerTest {

    private static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf"));
    private static final String[] CONTENTS = {
            "In the beginning God created the heaven and the earth.",
            "  And the earth was without form,\nand void; and darkness was upon the face of the deep.\n\n",
            "Genesis 1:3 — And God said, Let there be light: and there was light. 12345 ✝ 光",
            "",
            "\nverse\n",
    };

    private static LlamaCppTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        tokenizer = new LlamaCppTokenizer("tiny-kjv-chat", GGUF);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void aLongChatPromptTokenizedInPiecesHasExactlyTheIdsOfTokenizingItWhole() {
        List<ModelTokenizer.Message> messages = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            messages.add(new ModelTokenizer.Message(i % 2 == 0 ? "user" : "assistant", CONTENTS[i % CONTENTS.length]));
        }
        String prompt = tokenizer.applyChatTemplate(messages, true);

        assertThat(prompt.length()).isGreaterThan(30_000);
        assertThat(tokenizer.encode(prompt, false)).isEqualTo(tokenizer.encodeInOneCall(prompt));
    }

    @Test
    void aLongPlainTextTokenizedInPiecesHasExactlyTheIdsOfTokenizingItWhole() {
        String text = String.join("\n", CONTENTS).repeat(400);

        assertThat(text.length()).isGreaterThan(30_000);
        assertThat(tokenizer.encode(text, false)).isEqualTo(tokenizer.encodeInOneCall(text));
    }

    private static final String TOOLS = """
            [{"type":"function","function":{"name":"get_weather","description":"The weather in a city",
              "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]""";

    @Test
    void toolsAreRenderedIntoThePromptWhereTheTemplateTakesNone() {
        var question = List.of(new ModelTokenizer.Message("user", "Weather in Paris?"));

        String withTools = tokenizer.applyChatTemplate(question, TOOLS, true, dev.llmplatform.tokenizer.domain.Progress.NONE);
        String without = tokenizer.applyChatTemplate(question, true);

        assertThat(without).doesNotContain("get_weather");
        assertThat(withTools).contains("get_weather(city: string) - The weather in a city").contains("tool_calls")
                .endsWith("<|im_start|>assistant\n");
        assertThat(tokenizer.encode(withTools, true).length - tokenizer.encode(without, true).length)
                .as("tokens the tools cost, of the default model's 512").isLessThan(120);
    }

    @Test
    void anAssistantsToolCallAndTheToolsResultAreRenderedInTheConversation() {
        var conversation = List.of(
                new ModelTokenizer.Message("user", "Weather in Paris?"),
                new ModelTokenizer.Message("assistant", "",
                        "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]", ""),
                new ModelTokenizer.Message("tool", "sunny, 21 C", "", "call_1"));

        String prompt = tokenizer.applyChatTemplate(conversation, TOOLS, true, dev.llmplatform.tokenizer.domain.Progress.NONE);

        assertThat(prompt).contains("\"name\": \"get_weather\"").contains("Paris").contains("sunny, 21 C").contains("call_1");
    }

    @Test
    void toolJsonThatDoesNotParseIsRefused() {
        var question = List.of(new ModelTokenizer.Message("user", "Hi"));

        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> tokenizer.applyChatTemplate(question, "{not json", true, dev.llmplatform.tokenizer.domain.Progress.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tools");
    }
}
