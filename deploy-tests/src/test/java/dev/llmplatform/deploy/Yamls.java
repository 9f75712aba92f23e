package dev.llmplatform.deploy;

import java.util.List;
import java.util.Map;

/** Dotted-path access into parsed YAML ("spec.template.spec.containers"). */
final class Yamls {

    private Yamls() {
    }

    static Object get(Object node, String path) {
        Object current = node;
        for (String key : path.split("\\.")) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(key);
        }
        return current;
    }

    static String string(Object node, String path) {
        Object value = get(node, path);
        return value == null ? null : value.toString();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node, String path) {
        Object value = get(node, path);
        return value == null ? Map.of() : (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object node, String path) {
        Object value = get(node, path);
        return value == null ? List.of() : (List<Map<String, Object>>) value;
    }
}
