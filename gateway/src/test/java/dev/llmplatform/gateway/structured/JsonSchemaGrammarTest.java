package dev.llmplatform.gateway.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class JsonSchemaGrammarTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    static JsonNode json(String text) {
        return JSON.readTree(text.replace('\'', '"'));
    }

    /** Schemas are written with single quotes for readability. */
    static GbnfChecker grammar(String schema) {
        return GbnfChecker.of(JsonSchemaGrammar.fromSchema(json(schema)));
    }

    static void accepts(GbnfChecker grammar, String... outputs) {
        for (String output : outputs) {
            assertThat(grammar.accepts(output)).as("accepts %s", output).isTrue();
        }
    }

    static void rejects(GbnfChecker grammar, String... outputs) {
        for (String output : outputs) {
            assertThat(grammar.accepts(output)).as("rejects %s", output).isFalse();
        }
    }

    @Nested
    class Primitives {

        @Test
        void stringLengthsBoundTheCharactersNotTheEscapes() {
            GbnfChecker code = grammar("{'type': 'string', 'minLength': 2, 'maxLength': 3}");
            accepts(code, "\"ab\"", "\"abc\"", "\"a\\n\"", "\"\\u00e9\\ud83d\"");
            rejects(code, "\"a\"", "\"abcd\"", "\"\"");
        }

        @Test
        void aStringWithoutBoundsStopsAtThePlatformsBoundSoThatASmallModelEndsIt() {
            GbnfChecker string = grammar("{'type': 'string'}");
            accepts(string, "\"" + "a".repeat(GbnfRules.MAX_STRING_CHARS) + "\"");
            rejects(string, "\"" + "a".repeat(GbnfRules.MAX_STRING_CHARS + 1) + "\"");
        }

        @Test
        void stringsAreJsonStringsWithEscapesButNoRawControlCharacters() {
            GbnfChecker string = grammar("{'type': 'string'}");
            accepts(string, "\"\"", "\"Paris\"", "\"a\\\"b\\\\c\\n\\u00e9\"");
            // not as raw UTF-8: llama.cpp's grammar can let an unfinished byte sequence through before a quote
            rejects(string, "\"é\"", "\"😀\"");
            rejects(string, "Paris", "\"a\nb\"", "\"a\\qb\"", "\"\\u12\"", "\"open", "\"a\" ");
        }

        @Test
        void numbersFollowJsonSyntax() {
            GbnfChecker number = grammar("{'type': 'number'}");
            accepts(number, "0", "-1", "3.25", "1e10", "-0.5E-3", "42");
            rejects(number, "01", "+1", ".5", "1.", "1e", "NaN", "\"1\"");
        }

        @Test
        void integersHaveNoFractionOrExponent() {
            GbnfChecker integer = grammar("{'type': 'integer'}");
            accepts(integer, "0", "-7", "123456");
            rejects(integer, "1.0", "1e3", "-", "00");
        }

        @Test
        void booleansAndNull() {
            accepts(grammar("{'type': 'boolean'}"), "true", "false");
            rejects(grammar("{'type': 'boolean'}"), "null", "True", "1");
            accepts(grammar("{'type': 'null'}"), "null");
            rejects(grammar("{'type': 'null'}"), "\"null\"", "false");
        }

        @Test
        void aTypeArrayAllowsEachType() {
            GbnfChecker nullableString = grammar("{'type': ['string', 'null']}");
            accepts(nullableString, "\"x\"", "null");
            rejects(nullableString, "1", "{}");
        }

        @Test
        void anEmptySchemaAllowsAnyJsonValue() {
            GbnfChecker any = grammar("{'description': 'anything'}");
            accepts(any, "1", "\"s\"", "null", "[1, {\"a\": [true]}]", "{\"k\": {}}");
            rejects(any, "{k: 1}", "[1,]", "");
        }

        @Test
        void whitespaceBetweenTokensIsAtMostOneSpaceSoTheJsonStaysCompact() {
            GbnfChecker list = grammar("{'type': 'array', 'items': {'type': 'integer'}}");
            accepts(list, "[1,2]", "[ 1, 2 ]");
            rejects(list, " [1]", "[1] ", "[1,  2]", "[\n  1,\n  2\n]", "[\n" + " ".repeat(21) + "1]");
        }
    }

    @Nested
    class Objects {

        static final String PERSON = """
                {'type': 'object',
                 'properties': {'name': {'type': 'string'}, 'age': {'type': 'integer'}},
                 'required': ['name', 'age'], 'additionalProperties': false}""";

        @Test
        void requiredPropertiesAppearInDeclarationOrder() {
            GbnfChecker person = grammar(PERSON);
            accepts(person, "{\"name\": \"Ada\", \"age\": 36}", "{\"name\":\"Ada\",\"age\":36}",
                    "{ \"name\": \"Ada\", \"age\": 36 }");
            rejects(person, "{\"age\": 36, \"name\": \"Ada\"}", "{\"name\": \"Ada\"}",
                    "{\"name\": \"Ada\", \"age\": 36, \"x\": 1}", "{\"name\": \"Ada\", \"age\": \"36\"}",
                    "{\"name\": \"Ada\", \"age\": 36,}");
        }

        @Test
        void optionalPropertiesMayBeLeftOutInAnyCombination() {
            GbnfChecker options = grammar("""
                    {'type': 'object', 'properties': {'a': {'type': 'integer'}, 'b': {'type': 'integer'},
                     'c': {'type': 'integer'}, 'd': {'type': 'integer'}},
                     'required': ['b', 'd'], 'additionalProperties': false}""");
            accepts(options, "{\"b\": 1, \"d\": 2}", "{\"a\": 0, \"b\": 1, \"d\": 2}", "{\"b\": 1, \"c\": 1, \"d\": 2}",
                    "{\"a\": 0, \"b\": 1, \"c\": 1, \"d\": 2}");
            rejects(options, "{\"a\": 0, \"d\": 2}", "{\"b\": 1}", "{, \"b\": 1, \"d\": 2}", "{\"b\": 1 \"d\": 2}",
                    "{\"b\": 1, \"d\": 2, \"a\": 0}");
        }

        @Test
        void allOptionalPropertiesAllowTheEmptyObject() {
            GbnfChecker options = grammar("{'properties': {'a': {'type': 'string'}, 'b': {'type': 'null'}}}");
            accepts(options, "{}", "{ }", "{\"a\": \"x\"}", "{\"b\": null}", "{\"a\": \"x\", \"b\": null}");
            rejects(options, "{,}", "{\"a\": \"x\",}", "{\"b\": null, \"a\": \"x\"}");
        }

        @Test
        void nestedObjects() {
            GbnfChecker nested = grammar("""
                    {'type': 'object', 'properties': {'location': {'type': 'object',
                       'properties': {'city': {'type': 'string'}, 'zip': {'type': ['string', 'null']}},
                       'required': ['city', 'zip'], 'additionalProperties': false}},
                     'required': ['location'], 'additionalProperties': false}""");
            accepts(nested, "{\"location\": {\"city\": \"Paris\", \"zip\": null}}");
            rejects(nested, "{\"location\": {\"city\": \"Paris\"}}", "{\"location\": \"Paris\"}");
        }

        @Test
        void propertyNamesNeedingEscapesAreMatchedAsJson() {
            GbnfChecker odd = GbnfChecker.of(JsonSchemaGrammar.fromSchema(JSON.readTree(
                    "{\"properties\": {\"say \\\"hi\\\"\": {\"type\": \"integer\"}}}")));
            accepts(odd, "{\"say \\\"hi\\\"\": 1}");
        }

        @Test
        void anObjectWithoutPropertiesIsAnyObjectUnlessClosed() {
            accepts(grammar("{'type': 'object'}"), "{}", "{\"x\": [1, {\"y\": null}]}");
            rejects(grammar("{'type': 'object'}"), "[]", "{\"x\"}");
            accepts(grammar("{'type': 'object', 'additionalProperties': false}"), "{}");
            rejects(grammar("{'type': 'object', 'additionalProperties': false}"), "{\"x\": 1}");
        }

        @Test
        void jsonObjectModeAcceptsAnyObjectOnly() {
            GbnfChecker object = GbnfChecker.of(JsonSchemaGrammar.anyJsonObject());
            accepts(object, "{}", "{\"a\": 1, \"b\": [true, null, \"x\"], \"c\": {\"d\": -1.5e3}}");
            rejects(object, "[]", "\"x\"", "{\"a\" 1}", "{\"a\": 1}}", "{'a': 1}");
        }
    }

    @Nested
    class Arrays {

        @Test
        void itemsConformToTheirSchema() {
            GbnfChecker tags = grammar("{'type': 'array', 'items': {'type': 'string'}}");
            accepts(tags, "[]", "[\"a\"]", "[\"a\", \"b\", \"c\"]");
            rejects(tags, "[1]", "[\"a\",]", "[\"a\" \"b\"]", "[");
        }

        @Test
        void minAndMaxItemsBoundTheLength() {
            GbnfChecker two = grammar("{'type': 'array', 'items': {'type': 'integer'}, 'minItems': 2, 'maxItems': 3}");
            accepts(two, "[1, 2]", "[1, 2, 3]");
            rejects(two, "[]", "[1]", "[1, 2, 3, 4]");
            GbnfChecker atLeastOne = grammar("{'type': 'array', 'items': {'type': 'integer'}, 'minItems': 1}");
            accepts(atLeastOne, "[1]", "[1, 2, 3, 4, 5]");
            rejects(atLeastOne, "[]");
            GbnfChecker atMostTwo = grammar("{'type': 'array', 'maxItems': 2}");
            accepts(atMostTwo, "[]", "[null]", "[1, \"x\"]");
            rejects(atMostTwo, "[1, 2, 3]");
            GbnfChecker exactlyOne = grammar("{'type': 'array', 'minItems': 1, 'maxItems': 1}");
            accepts(exactlyOne, "[1]");
            rejects(exactlyOne, "[]", "[1, 2]");
            accepts(grammar("{'type': 'array', 'maxItems': 0}"), "[]");
            rejects(grammar("{'type': 'array', 'maxItems': 0}"), "[1]");
        }

        @Test
        void arraysOfObjects() {
            GbnfChecker points = grammar("""
                    {'type': 'array', 'items': {'type': 'object', 'properties': {'x': {'type': 'number'}},
                      'required': ['x'], 'additionalProperties': false}}""");
            accepts(points, "[{\"x\": 1}, {\"x\": 2.5}]");
            rejects(points, "[{\"x\": 1}, {}]", "[{\"y\": 1}]");
        }
    }

    @Nested
    class ValuesAndCombinations {

        @Test
        void enumAllowsExactlyItsValues() {
            GbnfChecker unit = grammar("{'type': 'string', 'enum': ['celsius', 'fahrenheit']}");
            accepts(unit, "\"celsius\"", "\"fahrenheit\"");
            rejects(unit, "\"kelvin\"", "celsius", "\"Celsius\"");
        }

        @Test
        void enumAndConstTakeAnyJsonValues() {
            GbnfChecker mixed = grammar("{'enum': [1, null, 'a\\\"b', [1, 2], {'k': true}]}");
            accepts(mixed, "1", "null", "\"a\\\"b\"", "[1,2]", "{\"k\":true}");
            rejects(mixed, "2", "\"a\"", "[2,1]", "{\"k\":false}");
            accepts(grammar("{'const': 'fixed'}"), "\"fixed\"");
            rejects(grammar("{'const': 'fixed'}"), "\"other\"");
        }

        @Test
        void enumValuesOfAnotherTypeAreLeftOut() {
            GbnfChecker strings = grammar("{'type': 'string', 'enum': ['a', 1, null]}");
            accepts(strings, "\"a\"");
            rejects(strings, "1", "null");
        }

        @Test
        void anyOfAllowsEachAlternative() {
            GbnfChecker either = grammar("""
                    {'anyOf': [{'type': 'object', 'properties': {'n': {'type': 'integer'}}, 'required': ['n'],
                                'additionalProperties': false},
                               {'type': 'string', 'enum': ['none']}]}""");
            accepts(either, "{\"n\": 1}", "\"none\"");
            rejects(either, "{\"n\": \"1\"}", "\"some\"", "null");
        }

        @Test
        void oneOfWithDisjointTypesIsAnyOf() {
            GbnfChecker one = grammar("{'oneOf': [{'type': 'string'}, {'type': 'null'}, {'const': 3}]}");
            accepts(one, "\"x\"", "null", "3");
            rejects(one, "4", "true");
        }

        @Test
        void refsToDefinitionsAndRecursiveTrees() {
            GbnfChecker tree = grammar("""
                    {'$defs': {'node': {'type': 'object',
                        'properties': {'value': {'type': 'integer'},
                                       'children': {'type': 'array', 'items': {'$ref': '#/$defs/node'}}},
                        'required': ['value', 'children'], 'additionalProperties': false}},
                     '$ref': '#/$defs/node'}""");
            accepts(tree, "{\"value\": 1, \"children\": []}",
                    "{\"value\": 1, \"children\": [{\"value\": 2, \"children\": [{\"value\": 3, \"children\": []}]}]}");
            rejects(tree, "{\"value\": 1, \"children\": [{\"value\": 2}]}", "{\"value\": 1}");
        }

        @Test
        void refsToTheRootAndToDefinitions() {
            GbnfChecker list = grammar("""
                    {'type': 'object', 'definitions': {'name': {'type': 'string'}},
                     'properties': {'head': {'$ref': '#/definitions/name'}, 'tail': {'anyOf': [{'$ref': '#'}, {'type': 'null'}]}},
                     'required': ['head', 'tail'], 'additionalProperties': false}""");
            accepts(list, "{\"head\": \"a\", \"tail\": {\"head\": \"b\", \"tail\": null}}");
            rejects(list, "{\"head\": \"a\", \"tail\": {\"head\": 1, \"tail\": null}}");
        }

        @Test
        void annotationsAreIgnored() {
            GbnfChecker annotated = grammar("""
                    {'$schema': 'https://json-schema.org/draft/2020-12/schema', 'title': 'T', 'type': 'string',
                     'description': 'd', 'default': 'x', 'examples': ['y']}""");
            accepts(annotated, "\"z\"");
        }
    }

    @Nested
    class Refusals {

        static void unsupported(String schema, String message) {
            assertThatThrownBy(() -> JsonSchemaGrammar.fromSchema(json(schema)))
                    .isInstanceOf(UnsupportedSchemaException.class).hasMessage(message);
        }

        static void invalid(String schema, String messagePart) {
            assertThatThrownBy(() -> JsonSchemaGrammar.fromSchema(json(schema)))
                    .isInstanceOf(InvalidSchemaException.class).hasMessageContaining(messagePart);
        }

        @Test
        void namesTheUnsupportedFeatureAndWhereItIs() {
            unsupported("{'properties': {'a': {'allOf': [{}]}}}",
                    "'allOf' at #/properties/a is not supported in structured outputs");
            unsupported("{'not': {'type': 'string'}}", "'not' at # is not supported in structured outputs");
            unsupported("{'if': {}, 'then': {}}", "'if' at # is not supported in structured outputs");
            unsupported("{'type': 'object', 'patternProperties': {'^a': {}}}",
                    "'patternProperties' at # is not supported in structured outputs");
            unsupported("{'type': 'string', 'pattern': '^a+$'}", "'pattern' at # is not supported in structured outputs");
            unsupported("{'type': 'string', 'format': 'date'}", "'format' at # is not supported in structured outputs");
            unsupported("{'type': 'array', 'items': {'type': 'string', 'maxLength': 5000}}",
                    "'maxLength' above 2000 at #/items/maxLength is not supported in structured outputs");
            unsupported("{'type': 'number', 'minimum': 0}", "'minimum' at # is not supported in structured outputs");
            unsupported("{'type': 'date'}", "type 'date' at #/type is not supported in structured outputs");
            unsupported("{'type': 'object', 'additionalProperties': {'type': 'string'}}",
                    "'additionalProperties' set to a schema at #/additionalProperties is not supported in structured outputs");
            unsupported("{'$ref': 'https://example.com/schema.json'}",
                    "remote '$ref' 'https://example.com/schema.json' at # is not supported in structured outputs");
            unsupported("{'properties': {'a~b/c': {'uniqueItems': true}}}",
                    "'uniqueItems' at #/properties/a~0b~1c is not supported in structured outputs");
            unsupported("{'oneOf': [{'type': 'string'}, {'enum': ['a', 1]}]}",
                    "'oneOf' with alternatives that may overlap at # is not supported in structured outputs");
            unsupported("{'oneOf': [{'type': 'number'}, {'type': 'integer'}]}",
                    "'oneOf' with alternatives that may overlap at # is not supported in structured outputs");
            unsupported("{'type': 'array', 'maxItems': 1000}",
                    "'maxItems' above 100 at #/maxItems is not supported in structured outputs");
            unsupported("{'$ref': '#/$defs/a', 'type': 'object', '$defs': {'a': {}}}",
                    "'$ref' beside 'type' at # is not supported in structured outputs");
        }

        @Test
        void rejectsWhatIsNotASchema() {
            invalid("[]", "invalid schema at #: a schema must be an object or a boolean");
            invalid("{'type': 3}", "#/type: must be a string or a non-empty array of strings");
            invalid("{'type': ['string', 3]}", "#/type/1: a type must be a string");
            invalid("{'properties': {'a': {}}, 'required': ['b']}", "#/required/0: names 'b', which is not in 'properties'");
            invalid("{'type': 'object', 'properties': []}", "#/properties: must be an object");
            invalid("{'type': 'array', 'items': 'string'}", "#/items: must be a schema object");
            invalid("{'type': 'array', 'minItems': 3, 'maxItems': 2}", "'minItems' is greater than 'maxItems'");
            invalid("{'type': 'array', 'minItems': -1}", "#/minItems: must be a non-negative integer");
            invalid("{'type': 'array', 'maxItems': 1.5}", "#/maxItems: must be a non-negative integer");
            invalid("{'enum': 'a'}", "#/enum: must be a non-empty array");
            invalid("{'enum': []}", "#/enum: must be a non-empty array");
            invalid("{'$ref': '#/$defs/missing'}", "'#/$defs/missing' points to nothing");
            invalid("{'properties': {'a': {'type': 'object', 'additionalProperties': 'no'}}}",
                    "#/properties/a/additionalProperties: must be a boolean or a schema");
        }

        @Test
        void rejectsRefsThatRecurseWithoutConsumingInput() {
            invalid("{'$defs': {'a': {'$ref': '#/$defs/b'}, 'b': {'anyOf': [{'$ref': '#/$defs/a'}, {'type': 'null'}]}},"
                    + " '$ref': '#/$defs/a'}", "recurses without consuming any input");
            invalid("{'$ref': '#'}", "recurses without consuming any input");
            invalid("{'anyOf': [{'type': 'null'}, {'$ref': '#'}]}", "recurses without consuming any input");
        }

        @Test
        void refusesSchemasNestedTooDeeply() {
            String deep = "{'type': 'string'}";
            for (int i = 0; i < 40; i++) {
                deep = "{'type': 'array', 'items': " + deep + "}";
            }
            invalid(deep, "nests deeper than 32 levels");
            String fine = "{'type': 'string'}";
            for (int i = 0; i < 30; i++) {
                fine = "{'type': 'array', 'items': " + fine + "}";
            }
            accepts(grammar(fine), "[".repeat(30) + "\"x\"" + "]".repeat(30));
        }

        @Test
        void refusesSchemasNeedingTooManyRules() {
            StringBuilder wide = new StringBuilder("{'type': 'object', 'properties': {");
            for (int i = 0; i < 900; i++) {
                wide.append(i == 0 ? "" : ", ").append("'p").append(i).append("': {'type': 'array'}");
            }
            invalid(wide.append("}}").toString(), "more than 2000 grammar rules");
        }
    }

    @Test
    void everyRuleNameIsLowercaseLettersDigitsAndDashes() {
        String grammar = JsonSchemaGrammar.fromSchema(json("""
                {'$defs': {'Weird Name_1': {'type': 'object', 'properties': {'Ünïcode Key!': {'type': 'string'}}}},
                 'type': 'array', 'items': {'$ref': '#/$defs/Weird Name_1'}}"""));
        for (String line : List.of(grammar.split("\n"))) {
            assertThat(line.substring(0, line.indexOf(" ::= "))).matches("[a-z0-9-]+");
        }
        accepts(GbnfChecker.of(grammar), "[{\"Ünïcode Key!\": \"v\"}, {}]");
    }
}
