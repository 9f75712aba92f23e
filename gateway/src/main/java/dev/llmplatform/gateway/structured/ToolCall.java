package dev.llmplatform.gateway.structured;

import java.security.SecureRandom;

/** One function call the model made: {@code argumentsJson} is the arguments object as compact JSON text. */
public record ToolCall(String id, String name, String argumentsJson) {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHANUMERICS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /** A fresh id in OpenAI's form: {@code call_} and 24 random letters and digits. */
    public static String newId() {
        StringBuilder id = new StringBuilder("call_");
        for (int i = 0; i < 24; i++) {
            id.append(ALPHANUMERICS.charAt(RANDOM.nextInt(ALPHANUMERICS.length())));
        }
        return id.toString();
    }
}
