package dev.llmplatform.worker.cpu.domain;

import java.util.List;

/** One loaded embedding model: text in, one fixed-length vector per input out. Safe to call from many threads. */
public interface EmbeddingEngine extends AutoCloseable {

    String modelId();

    /** Length of every vector this model returns. */
    int dimensions();

    /** Tokens one input may have, special tokens included; longer inputs are refused, never truncated. */
    int maxInputTokens();

    /** Embeds every input, or embeds none when one of them is too long. */
    EmbeddingOutcome embed(List<String> inputs);

    @Override
    void close();
}
