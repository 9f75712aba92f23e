package dev.llmplatform.registry.domain;

import java.util.Locale;

/** Where a version stands: registered → staging → production → archived. */
public enum Stage {
    REGISTERED, STAGING, PRODUCTION, ARCHIVED;

    public static Stage parse(String value, String param) {
        return Enums.parse(Stage.class, value, param);
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
