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

    /**
     * Renders the conversation and the tools it may call (the OpenAI tools array as JSON) with the model's chat
     * template; a tokenizer whose templates cannot take tools refuses them.
     */
    default String applyChatTemplate(List<Message> messages, String toolsJson, boolean addGenerationPrompt, Progress progress) {
        if (!toolsJson.isEmpty() || messages.stream().anyMatch(Message::hasToolFields)) {
            throw new IllegalArgumentException("the chat template of " + modelId() + " cannot render tools");
        }
        return applyChatTemplate(messages, addGenerationPrompt, progress);
    }

    int vocabularySize();

    @Override
    void close();

    /**
     * @param toolCallsJson an assistant message's OpenAI tool_calls array as JSON, empty for none
     * @param toolCallId    a tool message's answer to this call id, empty for none
     */
    record Message(String role, String content, String toolCallsJson, String toolCallId) {

        public Message(String role, String content) {
            this(role, content, "", "");
        }

        public boolean hasToolFields() {
            return !toolCallsJson.isEmpty() || !toolCallId.isEmpty();
        }

        /** Characters the template reads from this message. */
        public int length() {
            return role.length() + content.length() + toolCallsJson.length() + toolCallId.length();
        }
    }
}
