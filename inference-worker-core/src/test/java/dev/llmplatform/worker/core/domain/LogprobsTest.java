package dev.llmplatform.worker.core.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LogprobsTest {

    private static byte[] piece(int token) {
        return new byte[] {(byte) token};
    }

    @Test
    void logprobsAreTheLogSoftmaxOfTheRawLogits() {
        float[] logits = {1f, 2f, 3f};
        double normaliser = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));

        TokenLogprob logprob = Logprobs.of(logits, 1, 3, Logprobs_Test_piece());

        assertThat((double) logprob.logprob()).isCloseTo(2 - normaliser, within(1e-6));
        assertThat(logprob.top()).extracting(a -> (int) a.token()[0]).containsExactly(2, 1, 0);
        assertThat((double) logprob.top().getFirst().logprob()).isCloseTo(3 - normaliser, within(1e-6));
    }

    @Test
    void theLikeliestAreFoundAnywhereInTheVocabulary() {
        float[] logits = new float[1000];
        logits[999] = 9f;
        logits[3] = 8f;
        logits[500] = 7f;

        assertThat(Logprobs.likeliest(logits, 3)).containsExactly(999, 3, 500);
        assertThat(Logprobs.likeliest(logits, 0)).isEmpty();
    }

    @Test
    void extremeLogitsDoNotOverflow() {
        TokenLogprob logprob = Logprobs.of(new float[] {1000f, -1000f}, 0, 1, Logprobs_Test_piece());

        assertThat(logprob.logprob()).isEqualTo(0f);
    }

    private static java.util.function.IntFunction<byte[]> Logprobs_Test_piece() {
        return LogprobsTest::piece;
    }
}
