package dev.llmplatform.tokenizer.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Long texts are tokenized in pieces of bounded length, so that the cost stays linear in the text's length. */
class PiecewiseEncodingTest {

    /** One id per character: every cut is clean. */
    private static final Function<String, int[]> CHARACTERS = text -> text.chars().toArray();

    @Test
    void aChatPromptOfTwentyThousandMessagesIsNeverTokenizedWhole() {
        String prompt = "<|im_start|>user\n<|im_end|>\n".repeat(20_000);
        List<Integer> lengths = new ArrayList<>();

        int[] ids = PiecewiseEncoding.encode(text -> {
            lengths.add(text.length());
            return CHARACTERS.apply(text);
        }, prompt, Progress.NONE);

        assertThat(ids).isEqualTo(CHARACTERS.apply(prompt));
        assertThat(lengths).allMatch(length -> length <= 3 * PiecewiseEncoding.PIECE_CHARS);
    }

    @Test
    void cutsOnlyWhereTheTokensDoNotChange() {
        // a tokenizer that turns "\nX" into one token: no cut before X is clean, so the text stays whole
        Function<String, int[]> joinsLines = text -> text.replace("\nX", "\u0001").chars().toArray();
        String text = "X\n".repeat(10_000);

        assertThat(PiecewiseEncoding.encode(joinsLines, text, Progress.NONE)).isEqualTo(joinsLines.apply(text));
    }

    @Test
    void tellsProgressAfterEveryPieceSoThatItCanStopTheWork() {
        String prompt = "line\n".repeat(20_000);
        List<Integer> counts = new ArrayList<>();

        assertThatThrownBy(() -> PiecewiseEncoding.encode(CHARACTERS, prompt, tokens -> {
            counts.add(tokens);
            if (tokens > 10_000) {
                throw new IllegalStateException("enough");
            }
        })).hasMessage("enough");
        assertThat(counts).first().isEqualTo(0);
        assertThat(counts.getLast()).isBetween(10_001, 10_000 + 3 * PiecewiseEncoding.PIECE_CHARS);
    }
}
