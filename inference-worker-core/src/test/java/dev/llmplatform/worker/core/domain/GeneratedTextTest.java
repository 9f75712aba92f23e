package dev.llmplatform.worker.core.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The text of a generation token by token, and what a worker resuming it after any token sends: the rest, so that
 * the caller's text is the uninterrupted one, with a character or a stop string split across the resume whole.
 */
class GeneratedTextTest {

    private static final int END = 0;
    /** A small vocabulary; "☧" (E2 98 A7) comes as three byte tokens, as byte-fallback vocabularies give it. */
    private static final Map<Integer, byte[]> PIECES = Map.of(
            1, utf8("In"), 2, utf8(" the"), 3, utf8(" end"), 4, utf8(" "),
            10, new byte[] {(byte) 0xE2}, 11, new byte[] {(byte) 0x98}, 12, new byte[] {(byte) 0xA7});

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static GeneratedText text(int maxTokens, String... stops) {
        var request = new GenerationRequest("r", new int[] {7, 8}, maxTokens, 0f, 1f, 0, OptionalLong.empty(), List.of(stops), 0f, 0f);
        return new GeneratedText(request, 512, token -> token == END, PIECES::get);
    }

    /** Each token's text, and how the sequence ended (empty while it goes on). */
    private record Run(List<String> texts, Optional<GenerationOutcome> end) {
        String joined() {
            return String.join("", texts);
        }
    }

    private static Run feed(GeneratedText text, List<Integer> tokens) {
        List<String> texts = new ArrayList<>();
        for (int token : tokens) {
            var step = text.accept(token);
            texts.add(step.text());
            if (step.end().isPresent()) {
                return new Run(texts, step.end());
            }
        }
        return new Run(texts, Optional.empty());
    }

    /** For every k: the first k texts of the whole run, then what a fresh instance sends after replaying k tokens. */
    private static void assertEveryResumeGivesTheRest(List<Integer> tokens, int maxTokens, String... stops) {
        Run whole = feed(text(maxTokens, stops), tokens);
        for (int k = 1; k < whole.texts().size(); k++) {
            var resumed = text(maxTokens, stops);
            feed(resumed, tokens.subList(0, k));
            Run rest = feed(resumed, tokens.subList(k, whole.texts().size()));

            assertThat(String.join("", whole.texts().subList(0, k)) + rest.joined()).as("resumed after %d tokens", k)
                    .isEqualTo(whole.joined());
            assertThat(rest.end()).as("end after resuming at %d", k).isEqualTo(whole.end());
        }
    }

    @Test
    void aCharacterSplitAcrossTokensComesOutWholeOnceWhereverTheResumeFalls() {
        List<Integer> tokens = List.of(1, 4, 10, 11, 12, 2, 3, END);

        Run whole = feed(text(64), tokens);

        assertThat(whole.joined()).isEqualTo("In ☧ the end");
        assertThat(whole.texts()).containsExactly("In", " ", "", "", "☧", " the", " end", "");
        assertEveryResumeGivesTheRest(tokens, 64);
    }

    @Test
    void aStopStringSplitAcrossTokensIsFoundWhereverTheResumeFalls() {
        List<Integer> tokens = List.of(1, 2, 3, 4, 1);

        Run whole = feed(text(64, "the end"), tokens);

        assertThat(whole.joined()).isEqualTo("In ");
        assertThat(whole.end()).contains(new GenerationOutcome.Stopped(3));
        assertEveryResumeGivesTheRest(tokens, 64, "the end");
    }

    @Test
    void theLastTokenReleasesWhatWasHeldBack() {
        List<Integer> tokens = List.of(1, 2, 10, 11);

        Run whole = feed(text(4, " the end"), tokens);

        assertThat(whole.texts()).containsExactly("In", "", "", " the\uFFFD");
        assertThat(whole.end()).contains(new GenerationOutcome.LengthReached(4));
        assertEveryResumeGivesTheRest(tokens, 4, " the end");
    }

    @Test
    void resumedTokensCountAsGenerated() {
        var text = text(64);

        feed(text, List.of(1, 2, 3));

        assertThat(text.generated()).isEqualTo(3);
    }
}
