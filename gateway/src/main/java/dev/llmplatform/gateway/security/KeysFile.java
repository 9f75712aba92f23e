package dev.llmplatform.gateway.security;

import dev.llmplatform.gateway.config.GatewayProperties.KeyProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The keys file's format (YAML, or JSON, which is YAML too): a list of keys, or a map whose {@code keys} is that
 * list. Each key as in {@code gateway.keys}: {@code name}, {@code sha256}, {@code scopes} (default [inference]),
 * {@code requests-per-minute} (600), {@code tokens-per-minute} (1000000), {@code batch-tokens-per-day} (0: none).
 * Unknown fields are refused, so a typo
 * does not silently give a key the defaults.
 */
final class KeysFile {

    private static final Set<String> FIELDS = Set.of("name", "sha256", "scopes", "requests-per-minute", "tokens-per-minute",
            "batch-tokens-per-day");

    private KeysFile() {
    }

    /** @throws IllegalArgumentException with a message that says what is wrong where */
    static List<KeyProperties> parse(String text) {
        Object document;
        try {
            // SafeConstructor: plain maps, lists and scalars only, never an arbitrary class
            document = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not YAML/JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (document == null) {
            return List.of();
        }
        if (document instanceof Map<?, ?> map && map.keySet().equals(Set.of("keys"))) {
            document = map.get("keys");
        }
        if (!(document instanceof List<?> entries)) {
            throw new IllegalArgumentException("expected a list of keys (or a map with 'keys')");
        }
        var keys = new ArrayList<KeyProperties>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            if (!(entries.get(i) instanceof Map<?, ?> entry)) {
                throw new IllegalArgumentException("keys[" + i + "] is not a map");
            }
            for (Object field : entry.keySet()) {
                if (!FIELDS.contains(String.valueOf(field))) {
                    throw new IllegalArgumentException("keys[" + i + "] has an unknown field '" + field + "'");
                }
            }
            keys.add(new KeyProperties(string(entry, "name", i), string(entry, "sha256", i), scopes(entry.get("scopes"), i),
                    number(entry, "requests-per-minute", 600, i), number(entry, "tokens-per-minute", 1_000_000, i),
                    number(entry, "batch-tokens-per-day", 0, i)));
        }
        return keys;
    }

    private static String string(Map<?, ?> entry, String field, int i) {
        if (!(entry.get(field) instanceof String value) || value.isBlank()) {
            throw new IllegalArgumentException("keys[" + i + "]." + field + " is missing");
        }
        return value;
    }

    private static List<String> scopes(Object value, int i) {
        if (value == null) {
            return List.of("inference");
        }
        if (value instanceof String s) {
            return List.of(s.split("\\s*,\\s*"));
        }
        if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            return list.stream().map(String.class::cast).toList();
        }
        throw new IllegalArgumentException("keys[" + i + "].scopes must be a list of strings");
    }

    private static long number(Map<?, ?> entry, String field, long absent, int i) {
        Object value = entry.get(field);
        if (value == null) {
            return absent;
        }
        if (!(value instanceof Number n) || n.longValue() < 0) {
            throw new IllegalArgumentException("keys[" + i + "]." + field + " must be a number >= 0");
        }
        return n.longValue();
    }
}
