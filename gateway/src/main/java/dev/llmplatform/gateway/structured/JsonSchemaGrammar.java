package dev.llmplatform.gateway.structured;

import tools.jackson.databind.JsonNode;

/**
 * Turns a JSON Schema (the subset OpenAI's strict structured outputs allow) into a GBNF grammar for llama.cpp's
 * grammar sampler, such that every text the grammar accepts is JSON conforming to the schema. What cannot be
 * enforced exactly is refused ({@link UnsupportedSchemaException}) rather than approximated.
 *
 * <p>Supported: {@code type} (one or a list), objects ({@code properties} in declaration order, {@code required},
 * optional properties that may be left out, {@code additionalProperties} false or true: only declared properties
 * are produced), arrays ({@code items}, {@code minItems}/{@code maxItems} up to 100), {@code enum}/{@code const}
 * of any JSON values, {@code anyOf}, {@code oneOf} when its alternatives' types are disjoint, local {@code $ref}
 * into {@code $defs}/{@code definitions} or the root, recursion included. Annotations are ignored. Every other
 * keyword ({@code allOf}, {@code not}, {@code pattern}, {@code format}, {@code minimum}, ...) is refused. Whitespace
 * between tokens is optional and bounded, so a small model cannot loop in it.
 */
public final class JsonSchemaGrammar {

    private JsonSchemaGrammar() {}

    /** The grammar for outputs conforming to {@code schema}, with root rule {@code root}. */
    public static String fromSchema(JsonNode schema) {
        GbnfRules rules = new GbnfRules();
        String root = new SchemaTranslator(rules, schema, "#", "").translate(schema, "#", 0);
        return rules.render(root);
    }

    /** OpenAI's {@code response_format: {"type": "json_object"}}: any JSON object. */
    public static String anyJsonObject() {
        GbnfRules rules = new GbnfRules();
        return rules.render(rules.primitive("object"));
    }

    /** Adds the rules for {@code schema} to {@code rules} and returns the expression for its values. */
    static String valueExpression(GbnfRules rules, JsonNode schema, String pointer, String namePrefix) {
        return new SchemaTranslator(rules, schema, pointer, namePrefix).translate(schema, pointer, 0);
    }
}
