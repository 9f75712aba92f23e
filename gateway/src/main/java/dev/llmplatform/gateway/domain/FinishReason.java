package dev.llmplatform.gateway.domain;

public enum FinishReason {
    /** End of sequence or a stop string; also what a stream that ends without saying why is taken to mean. */
    STOP,
    LENGTH,
    CANCELLED
}
