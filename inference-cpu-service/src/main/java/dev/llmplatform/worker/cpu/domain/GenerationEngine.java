package dev.llmplatform.worker.cpu.domain;

import java.util.function.BooleanSupplier;

/** A loaded model that generates text. One engine serves several sequences at once (its slots). */
public interface GenerationEngine extends AutoCloseable {

    String modelId();

    /** Tokens one sequence may hold: prompt plus output. */
    int contextPerSequence();

    /**
     * Generates on the calling thread until the sequence ends, handing each piece of text to {@code sink} as soon
     * as it is decoded; {@code cancelled} is polled between tokens.
     */
    GenerationOutcome generate(GenerationRequest request, TextSink sink, BooleanSupplier cancelled);

    @Override
    void close();

    @FunctionalInterface
    interface TextSink {
        /** @param tokens how many generated tokens {@code text} covers */
        void accept(String text, int tokens);
    }
}
