package dev.llmplatform.bench;

/** Renders a one-message conversation with the model's chat template and tokenizes it, special tokens included. */
@FunctionalInterface
public interface ChatPromptTokenizer {

    int[] chatPromptIds(String userText);
}
