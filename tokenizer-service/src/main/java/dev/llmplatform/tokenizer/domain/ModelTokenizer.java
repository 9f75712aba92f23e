package dev.llmplatform.tokenizer.domain;

import java.util.List;

/** The tokenizer and chat template of one model. */
public interface ModelTokenizer extends AutoCloseable {

    String modelId();

    /** @param addSpecial prepend BOS where the model asks for it; special tokens written in the text are parsed either way */
    int[] encode(String text, boolean addSpecial);

    /** Like {@link #encode(String, boolean)}, telling {@code progress} as it goes so that long work can stop. */
    default int[] encode(String text, boolean addSpecial, Progress progress) {
        progress.check(0);
        int[] ids = encode(text, addSpecial);
        progress.check(ids.length);
        return ids;
    }

    /** The UTF-8 bytes of the tokens' text; bytes of a character split across tokens are kept as they are. */
    byte[] decodeBytes(int[] tokenIds);

    /** Renders the conversation with the model's own chat template. */
    String applyChatTemplate(List<Message> messages, boolean addGenerationPrompt);

    /** Like {@link #applyChatTemplate(List, boolean)}, telling {@code progress} as it goes so that long work can stop. */
    default String applyChatTemplate(List<Message> messages, boolean addGenerationPrompt, Progress progress) {
        progress.check(0);
        return applyChatTemplate(messages, addGenerationPrompt);
    }

    int vocabularySize();

    @Override
    void close();

    record Message(String role, String content) {
    }
}
