package dev.llmplatform.gateway.structured;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JsonPointer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Translates one schema document into GBNF rules, walking it with JSON pointers for error messages; {@code $ref}s
 * resolve against the document's root and become named rules, so recursive schemas give recursive grammars.
 */
final class SchemaTranslator {

    static final int MAX_DEPTH = 32;
    /** Counted repetitions are expanded by llama.cpp's parser, so large bounds would blow up the grammar. */
    static final int MAX_ITEM_BOUND = 100;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final Set<String> ANNOTATIONS = Set.of("description", "title", "default", "$schema", "examples",
            "$comment", "deprecated", "readOnly", "writeOnly");
    private static final Set<String> DEFINITIONS = Set.of("$defs", "definitions");
    private static final Set<String> OBJECT_KEYWORDS = Set.of("properties", "required", "additionalProperties");
    private static final Set<String> ARRAY_KEYWORDS = Set.of("items", "minItems", "maxItems");
    private static final Set<String> STRING_KEYWORDS = Set.of("minLength", "maxLength");
    /** llama.cpp expands a counted repetition into as many rules: longer bounds are refused. */
    static final int MAX_STRING_BOUND = 2000;
    private static final Set<String> ASSERTIONS;

    static {
        Set<String> all = new HashSet<>(Set.of("type", "enum", "const", "anyOf", "oneOf", "$ref"));
        all.addAll(OBJECT_KEYWORDS);
        all.addAll(ARRAY_KEYWORDS);
        all.addAll(STRING_KEYWORDS);
        ASSERTIONS = Set.copyOf(all);
    }

    private final GbnfRules rules;
    private final JsonNode document;
    private final String documentPointer;
    private final String namePrefix;
    private final Map<String, String> refRules = new HashMap<>();
    /** Refs entered since the last token the grammar consumes: meeting one again would be left recursion. */
    private Set<String> unguardedRefs = new HashSet<>();

    SchemaTranslator(GbnfRules rules, JsonNode document, String documentPointer, String namePrefix) {
        this.rules = rules;
        this.document = document;
        this.documentPointer = documentPointer;
        this.namePrefix = namePrefix;
    }

    String translate(JsonNode schema, String pointer, int depth) {
        if (depth > MAX_DEPTH) {
            throw InvalidSchemaException.at(pointer, "nests deeper than " + MAX_DEPTH + " levels");
        }
        if (schema.isBoolean()) {
            if (schema.booleanValue()) {
                return rules.primitive("value");
            }
            throw UnsupportedSchemaException.feature("the 'false' schema", pointer);
        }
        if (!schema.isObject()) {
            throw InvalidSchemaException.at(pointer, "a schema must be an object or a boolean");
        }
        Set<String> assertions = new LinkedHashSet<>();
        for (String keyword : schema.propertyNames()) {
            if (ASSERTIONS.contains(keyword)) {
                assertions.add(keyword);
            } else if (DEFINITIONS.contains(keyword)) {
                if (!schema.get(keyword).isObject()) {
                    throw InvalidSchemaException.at(pointer + "/" + keyword, "must be an object");
                }
            } else if (!ANNOTATIONS.contains(keyword) && !(keyword.equals("$id") && depth == 0)) {
                throw UnsupportedSchemaException.feature("'" + keyword + "'", pointer);
            }
        }
        for (String combinator : List.of("$ref", "anyOf", "oneOf")) {
            if (assertions.contains(combinator)) {
                assertions.stream().filter(k -> !k.equals(combinator)).findFirst().ifPresent(k -> {
                    throw UnsupportedSchemaException.feature("'" + combinator + "' beside '" + k + "'", pointer);
                });
                return switch (combinator) {
                    case "$ref" -> ref(schema.get("$ref"), pointer, depth);
                    case "anyOf" -> alternatives(schema, "anyOf", pointer, depth);
                    default -> oneOf(schema, pointer, depth);
                };
            }
        }
        List<JsonType> types = types(schema, pointer);
        if (assertions.contains("enum") || assertions.contains("const")) {
            assertions.stream().filter(k -> !Set.of("enum", "const", "type").contains(k)).findFirst()
                    .ifPresent(k -> {
                        throw UnsupportedSchemaException.feature("'enum' or 'const' beside '" + k + "'", pointer);
                    });
            return constants(schema, types, pointer);
        }
        List<String> alternatives = new ArrayList<>();
        for (JsonType type : types) {
            alternatives.add(switch (type) {
                case OBJECT -> object(schema, pointer, depth);
                case ARRAY -> array(schema, pointer, depth);
                case STRING -> string(schema, pointer);
                case NUMBER -> rules.primitive("number");
                case INTEGER -> rules.primitive("integer");
                case BOOLEAN -> rules.primitive("boolean");
                case NULL -> rules.primitive("null");
            });
        }
        return alternatives.isEmpty() ? rules.primitive("value") : choice(alternatives);
    }

    /** The declared types, or those implied by object/array keywords; empty means any value. */
    private List<JsonType> types(JsonNode schema, String pointer) {
        JsonNode type = schema.get("type");
        List<JsonType> types = new ArrayList<>();
        if (type == null) {
            if (OBJECT_KEYWORDS.stream().anyMatch(schema::has)) types.add(JsonType.OBJECT);
            if (ARRAY_KEYWORDS.stream().anyMatch(schema::has)) types.add(JsonType.ARRAY);
            if (STRING_KEYWORDS.stream().anyMatch(schema::has)) types.add(JsonType.STRING);
        } else if (type.isString()) {
            types.add(JsonType.named(type.stringValue(), pointer + "/type"));
        } else if (type.isArray() && !type.isEmpty()) {
            for (int i = 0; i < type.size(); i++) {
                JsonNode name = type.get(i);
                if (!name.isString()) {
                    throw InvalidSchemaException.at(pointer + "/type/" + i, "a type must be a string");
                }
                JsonType named = JsonType.named(name.stringValue(), pointer + "/type/" + i);
                if (!types.contains(named)) types.add(named);
            }
        } else {
            throw InvalidSchemaException.at(pointer + "/type", "must be a string or a non-empty array of strings");
        }
        return types;
    }

    private String constants(JsonNode schema, List<JsonType> types, String pointer) {
        List<JsonNode> values = new ArrayList<>();
        if (schema.has("enum")) {
            JsonNode options = schema.get("enum");
            if (!options.isArray() || options.isEmpty()) {
                throw InvalidSchemaException.at(pointer + "/enum", "must be a non-empty array");
            }
            options.forEach(values::add);
        }
        if (schema.has("const")) {
            JsonNode constant = schema.get("const");
            if (schema.has("enum") && !values.contains(constant)) {
                throw InvalidSchemaException.at(pointer + "/const", "no value of 'enum' equals 'const'");
            }
            values = List.of(constant);
        }
        Set<String> literals = new LinkedHashSet<>();
        for (JsonNode value : values) {
            if (types.isEmpty() || types.stream().anyMatch(t -> t.admits(JsonType.of(value)))) {
                literals.add(GbnfRules.literal(JSON.writeValueAsString(value)));
            }
        }
        if (literals.isEmpty()) {
            throw InvalidSchemaException.at(pointer, "no value of 'enum' or 'const' matches 'type'");
        }
        return choice(List.copyOf(literals));
    }

    private String object(JsonNode schema, String pointer, int depth) {
        JsonNode properties = schema.get("properties");
        JsonNode required = schema.get("required");
        JsonNode additional = schema.get("additionalProperties");
        if (additional != null && additional.isObject()) {
            throw UnsupportedSchemaException.feature("'additionalProperties' set to a schema",
                    pointer + "/additionalProperties");
        }
        if (additional != null && !additional.isBoolean()) {
            throw InvalidSchemaException.at(pointer + "/additionalProperties", "must be a boolean or a schema");
        }
        if (properties != null && !properties.isObject()) {
            throw InvalidSchemaException.at(pointer + "/properties", "must be an object");
        }
        Set<String> requiredNames = new HashSet<>();
        if (required != null) {
            if (!required.isArray()) {
                throw InvalidSchemaException.at(pointer + "/required", "must be an array of property names");
            }
            for (int i = 0; i < required.size(); i++) {
                JsonNode name = required.get(i);
                if (!name.isString()) {
                    throw InvalidSchemaException.at(pointer + "/required/" + i, "must be a property name");
                }
                if (properties == null || !properties.has(name.stringValue())) {
                    throw InvalidSchemaException.at(pointer + "/required/" + i,
                            "names '" + name.stringValue() + "', which is not in 'properties'");
                }
                requiredNames.add(name.stringValue());
            }
        }
        if (properties == null) {
            // Without declared properties only "any object" or (additionalProperties: false) the empty one.
            boolean closed = additional != null && !additional.booleanValue();
            if (!closed) {
                return rules.primitive("object");
            }
            rules.primitive("ws");
            return "\"{\" ws \"}\"";
        }
        if (2 * properties.size() > GbnfRules.MAX_RULES) {
            throw InvalidSchemaException.at(pointer + "/properties", "has too many properties");
        }
        String name = rules.newName(namePrefix + hint(pointer));
        rules.primitive("ws");
        Set<String> outer = unguardedRefs;
        unguardedRefs = new HashSet<>();
        try {
            List<String> members = new ArrayList<>();
            List<Boolean> mandatory = new ArrayList<>();
            for (String property : properties.propertyNames()) {
                String value = translate(properties.get(property), pointer + "/properties/" + escape(property),
                        depth + 1);
                members.add(GbnfRules.literal(JSON.writeValueAsString(property)) + " ws \":\" ws " + value);
                mandatory.add(requiredNames.contains(property));
            }
            String body = members(members, mandatory, name);
            rules.define(name, "\"{\" ws " + (body.isEmpty() ? "" : body + " ws ") + "\"}\"");
            return name;
        } finally {
            unguardedRefs = outer;
        }
    }

    /**
     * Members in declaration order; required ones always present, optional ones skippable. Each suffix becomes
     * a rule (one with a comma before its first member, one without) so the grammar stays linear in size.
     */
    private String members(List<String> members, List<Boolean> mandatory, String objectName) {
        if (!mandatory.contains(false)) {
            return String.join(" ws \",\" ws ", members);
        }
        Map<String, String> memo = new HashMap<>();
        return suffix(0, false, members, mandatory, objectName, memo);
    }

    private String suffix(int from, boolean afterMember, List<String> members, List<Boolean> mandatory,
            String objectName, Map<String, String> memo) {
        if (from == members.size()) {
            return "";
        }
        String key = from + "/" + afterMember;
        if (memo.containsKey(key)) {
            return memo.get(key);
        }
        String rest = suffix(from + 1, true, members, mandatory, objectName, memo);
        String present = (afterMember ? "ws \",\" ws " : "") + members.get(from) + (rest.isEmpty() ? "" : " " + rest);
        String body;
        if (mandatory.get(from)) {
            body = present;
        } else {
            String skipped = suffix(from + 1, afterMember, members, mandatory, objectName, memo);
            body = skipped.isEmpty() ? "(" + present + ")?" : "(" + present + " | " + skipped + ")";
        }
        String name = rules.newName(objectName + "-from-" + from + (afterMember ? "-next" : "-first"));
        rules.define(name, body);
        memo.put(key, name);
        return name;
    }

    private String array(JsonNode schema, String pointer, int depth) {
        int min = count(schema, "minItems", pointer).orElse(0);
        int max = count(schema, "maxItems", pointer).orElse(-1);
        if (max >= 0 && min > max) {
            throw InvalidSchemaException.at(pointer, "'minItems' is greater than 'maxItems'");
        }
        rules.primitive("ws");
        JsonNode items = schema.get("items");
        if (max == 0 || (items != null && items.isBoolean() && !items.booleanValue())) {
            if (min > 0) {
                throw InvalidSchemaException.at(pointer, "'minItems' cannot be met when no item is allowed");
            }
            return "\"[\" ws \"]\"";
        }
        if (items != null && !items.isObject() && !items.isBoolean()) {
            throw InvalidSchemaException.at(pointer + "/items", "must be a schema object");
        }
        String name = rules.newName(namePrefix + hint(pointer));
        Set<String> outer = unguardedRefs;
        unguardedRefs = new HashSet<>();
        try {
            String item = items == null ? rules.primitive("value") : translate(items, pointer + "/items", depth + 1);
            String more = "(ws \",\" ws " + item + ")" + repetition(Math.max(min - 1, 0), max < 0 ? -1 : max - 1);
            String list = more.endsWith("{0}") ? item : item + " " + more;
            rules.define(name, "\"[\" ws " + (min == 0 ? "(" + list + " ws)?" : list + " ws") + " \"]\"");
            return name;
        } finally {
            unguardedRefs = outer;
        }
    }

    private static String repetition(int min, int max) {
        if (max < 0) {
            return min == 0 ? "*" : min == 1 ? "+" : "{" + min + ",}";
        }
        return min == max ? "{" + min + "}" : "{" + min + "," + max + "}";
    }

    /** A string, of minLength..maxLength characters when the schema bounds it (else the platform's bound). */
    private String string(JsonNode schema, String pointer) {
        if (!schema.has("minLength") && !schema.has("maxLength")) {
            return rules.primitive("string");
        }
        int min = length(schema, "minLength", pointer).orElse(0);
        int max = length(schema, "maxLength", pointer).orElse(Math.max(min, GbnfRules.MAX_STRING_CHARS));
        if (min > max) {
            throw InvalidSchemaException.at(pointer, "'minLength' is greater than 'maxLength'");
        }
        return "\"\\\"\" " + rules.primitive("string-char") + "{" + min + "," + max + "} \"\\\"\"";
    }

    private java.util.OptionalInt length(JsonNode schema, String keyword, String pointer) {
        JsonNode value = schema.get(keyword);
        if (value == null) {
            return java.util.OptionalInt.empty();
        }
        if (!value.isNumber() || JsonType.of(value) != JsonType.INTEGER || value.decimalValue().signum() < 0) {
            throw InvalidSchemaException.at(pointer + "/" + keyword, "must be a non-negative integer");
        }
        if (value.decimalValue().compareTo(java.math.BigDecimal.valueOf(MAX_STRING_BOUND)) > 0) {
            throw UnsupportedSchemaException.feature("'" + keyword + "' above " + MAX_STRING_BOUND, pointer + "/" + keyword);
        }
        return java.util.OptionalInt.of(value.intValue());
    }

    private java.util.OptionalInt count(JsonNode schema, String keyword, String pointer) {
        JsonNode value = schema.get(keyword);
        if (value == null) {
            return java.util.OptionalInt.empty();
        }
        if (!value.isNumber() || JsonType.of(value) != JsonType.INTEGER || value.decimalValue().signum() < 0) {
            throw InvalidSchemaException.at(pointer + "/" + keyword, "must be a non-negative integer");
        }
        if (value.decimalValue().compareTo(java.math.BigDecimal.valueOf(MAX_ITEM_BOUND)) > 0) {
            throw UnsupportedSchemaException.feature("'" + keyword + "' above " + MAX_ITEM_BOUND,
                    pointer + "/" + keyword);
        }
        return java.util.OptionalInt.of(value.intValue());
    }

    private String alternatives(JsonNode schema, String keyword, String pointer, int depth) {
        JsonNode options = schema.get(keyword);
        if (!options.isArray() || options.isEmpty()) {
            throw InvalidSchemaException.at(pointer + "/" + keyword, "must be a non-empty array of schemas");
        }
        List<String> alternatives = new ArrayList<>();
        for (int i = 0; i < options.size(); i++) {
            String alternative = translate(options.get(i), pointer + "/" + keyword + "/" + i, depth + 1);
            if (!alternatives.contains(alternative)) alternatives.add(alternative);
        }
        return choice(alternatives);
    }

    /** oneOf equals anyOf only when no value can match two alternatives: here, when their types are disjoint. */
    private String oneOf(JsonNode schema, String pointer, int depth) {
        String grammar = alternatives(schema, "oneOf", pointer, depth);
        Set<JsonType> seen = EnumSet.noneOf(JsonType.class);
        for (JsonNode option : schema.get("oneOf")) {
            Set<JsonType> types = possibleTypes(option, 0);
            if (types.stream().anyMatch(seen::contains)) {
                throw UnsupportedSchemaException.feature("'oneOf' with alternatives that may overlap", pointer);
            }
            seen.addAll(types);
        }
        return grammar;
    }

    private Set<JsonType> possibleTypes(JsonNode schema, int depth) {
        Set<JsonType> all = EnumSet.of(JsonType.OBJECT, JsonType.ARRAY, JsonType.STRING, JsonType.NUMBER,
                JsonType.BOOLEAN, JsonType.NULL);
        if (!schema.isObject() || depth > MAX_DEPTH) {
            return all;
        }
        Set<JsonType> types = EnumSet.noneOf(JsonType.class);
        if (schema.has("$ref")) {
            JsonNode target = resolve(schema.get("$ref"), "#");
            return possibleTypes(target, depth + 1);
        }
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (schema.has(combinator)) {
                schema.get(combinator).forEach(option -> types.addAll(possibleTypes(option, depth + 1)));
                return types;
            }
        }
        if (schema.has("const")) {
            return EnumSet.of(JsonType.of(schema.get("const")).widened());
        }
        if (schema.has("enum")) {
            schema.get("enum").forEach(value -> types.add(JsonType.of(value).widened()));
            return types;
        }
        types(schema, "#").forEach(type -> types.add(type.widened()));
        return types.isEmpty() ? all : types;
    }

    private String ref(JsonNode reference, String pointer, int depth) {
        JsonNode target = resolve(reference, pointer);
        String local = reference.stringValue().substring(1);
        if (refRules.containsKey(local)) {
            if (unguardedRefs.contains(local)) {
                throw InvalidSchemaException.at(pointer, "'$ref' recurses without consuming any input");
            }
            return refRules.get(local);
        }
        String name = rules.newName(namePrefix + "ref-" + hint(local));
        refRules.put(local, name);
        unguardedRefs.add(local);
        try {
            rules.define(name, translate(target, documentPointer + local, depth + 1));
        } finally {
            unguardedRefs.remove(local);
        }
        return name;
    }

    private JsonNode resolve(JsonNode reference, String pointer) {
        if (!reference.isString()) {
            throw InvalidSchemaException.at(pointer + "/$ref", "must be a string");
        }
        String ref = reference.stringValue();
        if (!ref.startsWith("#")) {
            throw UnsupportedSchemaException.feature("remote '$ref' '" + ref + "'", pointer);
        }
        JsonNode target;
        try {
            target = ref.length() == 1 ? document : document.at(JsonPointer.compile(ref.substring(1)));
        } catch (IllegalArgumentException e) {
            throw InvalidSchemaException.at(pointer + "/$ref", "'" + ref + "' is not a JSON pointer");
        }
        if (target == null || target.isMissingNode()) {
            throw InvalidSchemaException.at(pointer + "/$ref", "'" + ref + "' points to nothing");
        }
        return target;
    }

    private static String choice(List<String> alternatives) {
        return alternatives.size() == 1 ? alternatives.getFirst() : "(" + String.join(" | ", alternatives) + ")";
    }

    private static String hint(String pointer) {
        String trimmed = pointer.replaceAll("^#?/?", "").replace("properties/", "").replace("$defs/", "")
                .replace("definitions/", "");
        return trimmed.isEmpty() ? "root-value" : trimmed;
    }

    private static String escape(String property) {
        return property.replace("~", "~0").replace("/", "~1");
    }
}
