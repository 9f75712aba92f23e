package de.kherud.llama;

/**
 * Reaches the two tokenizer functions that the binding keeps package-private: raw token bytes (so that a
 * character split over tokens is not turned into U+FFFD) and chat templating with any roles and raw JSON.
 */
public final class TokenizerAccess {

    private TokenizerAccess() {
    }

    public static byte[] decodeBytes(LlamaModel model, int[] tokenIds) {
        return model.decodeBytes(tokenIds);
    }

    /** @param messagesJson a JSON array of {"role", "content"} objects */
    public static String applyTemplate(LlamaModel model, String messagesJson, boolean addGenerationPrompt) {
        var parameters = new InferenceParameters("");
        parameters.parameters.remove("prompt");
        parameters.parameters.put("messages", messagesJson);
        parameters.parameters.put("add_generation_prompt", String.valueOf(addGenerationPrompt));
        return model.applyTemplate(parameters);
    }
}
