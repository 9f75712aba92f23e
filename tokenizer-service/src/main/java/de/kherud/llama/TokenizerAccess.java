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
        return applyTemplate(model, messagesJson, "", addGenerationPrompt);
    }

    /**
     * @param messagesJson OpenAI chat messages as a JSON array (tool_calls and tool_call_id included)
     * @param toolsJson    the OpenAI tools array as JSON, empty for none
     */
    public static String applyTemplate(LlamaModel model, String messagesJson, String toolsJson, boolean addGenerationPrompt) {
        var parameters = new InferenceParameters("");
        parameters.parameters.remove("prompt");
        parameters.parameters.put("messages", messagesJson);
        if (!toolsJson.isEmpty()) {
            parameters.parameters.put("tools", toolsJson);
        }
        parameters.parameters.put("add_generation_prompt", String.valueOf(addGenerationPrompt));
        return model.applyTemplate(parameters);
    }
}
