package dev.llmplatform.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PromptSetTest {

    /** One token per word, plus three for the template around the message: enough to check the lengths. */
    private static final ChatPromptTokenizer WORDS = text -> new int[text.split("\\s+").length + 3];

    @Test
    void promptsReachTheInputLengthAndComeFromTheScriptureText() {
        var prompts = PromptSet.generate(5, 40, 7, WORDS);

        assertThat(prompts).hasSize(5).allSatisfy(p -> {
            assertThat(p.inputTokens()).isEqualTo(40);
            assertThat(p.userText()).startsWith(PromptSet.INSTRUCTION);
        });
        assertThat(prompts).extracting(BenchPrompt::index).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void theSameSeedGivesTheSamePromptsAndAnotherSeedOthers() {
        var a = PromptSet.generate(4, 30, 42, WORDS);
        var b = PromptSet.generate(4, 30, 42, WORDS);
        var c = PromptSet.generate(4, 30, 43, WORDS);

        assertThat(a).extracting(BenchPrompt::userText).isEqualTo(b.stream().map(BenchPrompt::userText).toList());
        assertThat(a).extracting(BenchPrompt::userText).isNotEqualTo(c.stream().map(BenchPrompt::userText).toList());
        assertThat(Arrays.equals(a.getFirst().promptTokenIds(), b.getFirst().promptTokenIds())).isTrue();
    }

    @Test
    void refusesEmptySets() {
        assertThatThrownBy(() -> PromptSet.generate(0, 10, 1, WORDS)).isInstanceOf(IllegalArgumentException.class);
    }
}
