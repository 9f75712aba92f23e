package dev.llmplatform.gateway.structured;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules of one GBNF grammar as they are built: unique rule names, the shared JSON primitives added only when
 * used, and the limits that keep a hostile schema from producing a grammar too large for the sampler.
 */
final class GbnfRules {

    static final int MAX_RULES = 2000;
    static final int MAX_GRAMMAR_CHARS = 1_000_000;

    /**
     * Strings of at most this many characters. A model that never writes a closing quote (the default model
     * learnt from a text without one) would otherwise fill max_tokens with one string and never parse.
     */
    static final int MAX_STRING_CHARS = 500;

    /**
     * At most one space between tokens, and bounded strings and numbers: the output is compact JSON, and a small
     * model cannot spend its tokens on whitespace or loop in a string or a number forever. String characters are
     * printable ASCII, anything else written as a JSON escape (\\u00e9): llama.cpp's grammar matches code points,
     * and a byte token that leaves a UTF-8 sequence unfinished before the closing quote slips through it as text
     * that is not UTF-8 (seen at temperature 2 with the default model's byte tokens).
     */
    private static final Map<String, String> PRIMITIVES = Map.ofEntries(
            Map.entry("ws", "| \" \""),
            Map.entry("string", "\"\\\"\" string-char{0," + MAX_STRING_CHARS + "} \"\\\"\""),
            Map.entry("string-char", "[\\x20-\\x21\\x23-\\x5B\\x5D-\\x7E] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4})"),
            Map.entry("integer", "\"-\"? (\"0\" | [1-9] [0-9]{0,15})"),
            Map.entry("number", "integer (\".\" [0-9]{1,15})? ([eE] [-+]? [0-9]{1,3})?"),
            Map.entry("boolean", "\"true\" | \"false\""),
            Map.entry("null", "\"null\""),
            Map.entry("value", "object | array | string | number | boolean | null"),
            Map.entry("object", "\"{\" ws (string ws \":\" ws value (ws \",\" ws string ws \":\" ws value)*)? ws \"}\""),
            Map.entry("array", "\"[\" ws (value (ws \",\" ws value)*)? ws \"]\""));

    private static final Map<String, List<String>> PRIMITIVE_USES = Map.of(
            "string", List.of("string-char"),
            "number", List.of("integer"),
            "value", List.of("object", "array", "string", "number", "boolean", "null"),
            "object", List.of("ws", "string", "value"),
            "array", List.of("ws", "value"));

    private final Map<String, String> rules = new LinkedHashMap<>();
    private final Map<String, Boolean> taken = new LinkedHashMap<>();

    GbnfRules() {
        taken.put("root", true);
        PRIMITIVES.keySet().forEach(name -> taken.put(name, true));
    }

    /** Adds a JSON primitive (and what it uses) once; returns its rule name. */
    String primitive(String name) {
        if (!PRIMITIVES.containsKey(name)) {
            throw new IllegalArgumentException("no primitive " + name);
        }
        if (!rules.containsKey(name)) {
            rules.put(name, PRIMITIVES.get(name));
            PRIMITIVE_USES.getOrDefault(name, List.of()).forEach(this::primitive);
        }
        return name;
    }

    /** Reserves a fresh rule name derived from a hint: lowercase letters, digits and dashes only. */
    String newName(String hint) {
        String base = hint.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("-{2,}", "-")
                .replaceAll("^-|-$", "");
        if (base.length() > 48) {
            base = base.substring(0, 48).replaceAll("-$", "");
        }
        if (base.isEmpty()) {
            base = "r";
        }
        String name = base;
        for (int i = 1; taken.containsKey(name); i++) {
            name = base + "-" + i;
        }
        taken.put(name, true);
        if (taken.size() > MAX_RULES + PRIMITIVES.size()) {
            throw new InvalidSchemaException("the schema needs more than " + MAX_RULES + " grammar rules");
        }
        return name;
    }

    void define(String name, String body) {
        rules.put(name, body);
    }

    /** The grammar text with {@code root} first, as llama.cpp's sampler expects (root rule "root"). */
    String render(String rootBody) {
        StringBuilder text = new StringBuilder("root ::= ").append(rootBody).append('\n');
        rules.forEach((name, body) -> text.append(name).append(" ::= ").append(body).append('\n'));
        if (text.length() > MAX_GRAMMAR_CHARS) {
            throw new InvalidSchemaException("the schema's grammar would exceed " + MAX_GRAMMAR_CHARS + " characters");
        }
        return text.toString();
    }

    /** A GBNF string literal matching exactly {@code text}. */
    static String literal(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7F) {
                        out.append(String.format("\\x%02X", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.append('"').toString();
    }
}
