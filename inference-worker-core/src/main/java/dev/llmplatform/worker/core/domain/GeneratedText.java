package dev.llmplatform.worker.core.domain;

import java.util.Optional;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * The text side of one sequence: counts its generated tokens, turns each into the text it releases, and says when
 * the sequence ends. Bytes of an unfinished UTF-8 character and text that may still start a stop string wait for a
 * later token; the token that ends the sequence releases all that waits, so each token's text can go out with it.
 * <p>
 * A function of the token ids alone: a worker resuming a generation another one began replays the ids that one sent
 * and ends up holding exactly what it held, so that a character or stop string split across the resume comes out
 * once, whole, or is found.
 */
public final class GeneratedText {

    /** What a token releases, and how the sequence ends with it, if it does. */
    public record Step(String text, Optional<GenerationOutcome> end) {
    }

    private final IntPredicate endOfGeneration;
    private final IntFunction<byte[]> piece;
    private final Utf8Pieces utf8 = new Utf8Pieces();
    private final StopStrings stops;
    private final int maxTokens;
    /** Tokens the sequence's context holds after the prompt. */
    private final int room;
    private int generated;

    /**
     * @param endOfGeneration whether a token ends generation (never shown as text)
     * @param piece           the bytes a token stands for
     */
    public GeneratedText(GenerationRequest request, int contextPerSequence, IntPredicate endOfGeneration, IntFunction<byte[]> piece) {
        this.endOfGeneration = endOfGeneration;
        this.piece = piece;
        this.stops = new StopStrings(request.stop());
        this.maxTokens = request.maxTokens();
        this.room = contextPerSequence - request.promptTokenIds().length;
    }

    /** Counts one more generated token and returns the text it releases. */
    public Step accept(int token) {
        generated++;
        if (endOfGeneration.test(token)) {
            return new Step(stops.flush() + utf8.flush(), Optional.of(new GenerationOutcome.Stopped(generated)));
        }
        StopStrings.Step step = stops.accept(utf8.append(piece.apply(token)));
        if (step.stopped()) {
            return new Step(step.text(), Optional.of(new GenerationOutcome.Stopped(generated)));
        }
        // this token sits at position prompt + generated - 1: one more would not fit
        if (generated >= maxTokens || generated >= room) {
            return new Step(step.text() + stops.flush() + utf8.flush(), Optional.of(new GenerationOutcome.LengthReached(generated)));
        }
        return new Step(step.text(), Optional.empty());
    }

    /** Tokens generated so far, resumed ones included. */
    public int generated() {
        return generated;
    }
}
