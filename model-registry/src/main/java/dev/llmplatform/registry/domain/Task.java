package dev.llmplatform.registry.domain;

import java.util.Locale;

/** What a model serves. */
public enum Task {
    CHAT, EMBEDDING;

    public static Task parse(String value, String param) {
        return value == null || value.isBlank() ? CHAT : Enums.parse(Task.class, value, param);
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
