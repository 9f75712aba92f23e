package dev.llmplatform.worker.cpu.domain;

import java.util.List;

/** What embedding a batch of inputs gave. */
public sealed interface EmbeddingOutcome {

    /**
     * @param vectors      one unit-length vector per input, in the order of the inputs
     * @param promptTokens tokens of all inputs together, as the model's tokenizer counts them (special tokens included)
     */
    record Embedded(List<float[]> vectors, int promptTokens) implements EmbeddingOutcome {

        public Embedded {
            vectors = List.copyOf(vectors);
        }
    }

    /** Input {@code index} (0-based) has {@code tokens} tokens, more than the model's {@code limit}; nothing was embedded. */
    record InputTooLong(int index, int tokens, int limit) implements EmbeddingOutcome {
    }
}
