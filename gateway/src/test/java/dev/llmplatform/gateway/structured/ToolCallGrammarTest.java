package dev.llmplatform.gateway.structured;

import static dev.llmplatform.gateway.structured.JsonSchemaGrammarTest.accepts;
import static dev.llmplatform.gateway.structured.JsonSchemaGrammarTest.json;
import static dev.llmplatform.gateway.structured.JsonSchemaGrammarTest.rejects;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ToolCallGrammarTest {

    static final JsonNode TOOLS = json("""
            [{'type': 'function', 'function': {'name': 'get_weather', 'description': 'Weather in a city',
               'parameters': {'type': 'object', 'properties': {'city': {'type': 'string'},
                              'unit': {'type': 'string', 'enum': ['c', 'f']}},
                              'required': ['city'], 'additionalProperties': false}, 'strict': true}},
             {'type': 'function', 'function': {'name': 'get_time'}}]""");

    static final String WEATHER = "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}";
    static final String WEATHER_IN_F = "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"unit\": \"f\"}}";
    static final String TIME = "{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}";

    static String calls(String... calls) {
        return "{\"tool_calls\": [" + String.join(", ", calls) + "]}";
    }

    static GbnfChecker grammar(ToolChoice choice, boolean parallel) {
        return GbnfChecker.of(ToolCallGrammar.forTools(TOOLS, choice, parallel));
    }

    @Test
    void requiredAllowsOneOrMoreCallsWithConformingArguments() {
        GbnfChecker required = grammar(new ToolChoice.Required(), true);
        accepts(required, calls(WEATHER), calls(WEATHER, TIME), calls(TIME, WEATHER_IN_F, WEATHER),
                "{\"tool_calls\":[{\"name\":\"get_time\",\"arguments\":{}}]}");
        rejects(required, calls(), "{\"response\": \"hi\"}", "Sunny in Paris",
                calls("{\"name\": \"get_weather\", \"arguments\": {\"town\": \"Paris\"}}"),
                calls("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"k\"}}"),
                calls("{\"name\": \"send_mail\", \"arguments\": {}}"),
                calls("{\"arguments\": {\"city\": \"Paris\"}, \"name\": \"get_weather\"}"),
                calls("{\"name\": \"get_time\", \"arguments\": []}"));
    }

    @Test
    void withoutParallelCallsExactlyOneCall() {
        GbnfChecker single = grammar(new ToolChoice.Required(), false);
        accepts(single, calls(WEATHER), calls(TIME));
        rejects(single, calls(WEATHER, TIME), calls());
    }

    @Test
    void aNamedFunctionIsTheOnlyOneCalled() {
        GbnfChecker named = grammar(new ToolChoice.Named("get_weather"), true);
        accepts(named, calls(WEATHER), calls(WEATHER, WEATHER_IN_F));
        rejects(named, calls(TIME), calls(WEATHER, TIME), "{\"response\": \"hi\"}");
        GbnfChecker namedOnce = grammar(new ToolChoice.Named("get_weather"), false);
        rejects(namedOnce, calls(WEATHER, WEATHER_IN_F));
    }

    @Test
    void autoAlsoAllowsAPlainAnswer() {
        GbnfChecker auto = grammar(new ToolChoice.Auto(), true);
        accepts(auto, calls(WEATHER), calls(WEATHER, TIME), "{\"response\": \"It is sunny.\\nEnjoy!\"}");
        rejects(auto, "It is sunny.", "{\"response\": 42}", "{\"response\": \"x\", \"tool_calls\": []}");
    }

    @Test
    void parametersThatSayNothingOfTypeMeanAnObject() {
        JsonNode tools = json("[{'type': 'function', 'function': {'name': 'ping', 'parameters': {}}}]");
        GbnfChecker ping = GbnfChecker.of(ToolCallGrammar.forTools(tools, new ToolChoice.Required(), true));
        accepts(ping, calls("{\"name\": \"ping\", \"arguments\": {\"x\": [1]}}"));
        rejects(ping, calls("{\"name\": \"ping\", \"arguments\": 1}"));
    }

    @Test
    void refusesAToolWhoseParametersAreUnsupportedNamingWhere() {
        JsonNode tools = json("""
                [{'type': 'function', 'function': {'name': 'ok'}},
                 {'type': 'function', 'function': {'name': 'bad', 'parameters': {'type': 'object',
                    'properties': {'when': {'type': 'string', 'format': 'date-time'}}}}}]""");
        assertThatThrownBy(() -> ToolCallGrammar.forTools(tools, new ToolChoice.Auto(), true))
                .isInstanceOf(UnsupportedSchemaException.class)
                .hasMessage("'format' at #/tools/1/function/parameters/properties/when is not supported in structured outputs"
                        + " (tool 'bad')");
        JsonNode arrayParameters = json("[{'type': 'function', 'function': {'name': 'a', 'parameters': {'type': 'array'}}}]");
        assertThatThrownBy(() -> ToolCallGrammar.forTools(arrayParameters, new ToolChoice.Auto(), true))
                .isInstanceOf(UnsupportedSchemaException.class).hasMessageContaining("#/tools/0/function/parameters");
    }

    @Test
    void rejectsMalformedToolsAndChoices() {
        assertThatThrownBy(() -> ToolCallGrammar.forTools(json("[]"), new ToolChoice.Auto(), true))
                .isInstanceOf(InvalidSchemaException.class).hasMessageContaining("#/tools");
        assertThatThrownBy(() -> ToolCallGrammar.forTools(json("[{'type': 'function', 'function': {}}]"),
                new ToolChoice.Auto(), true)).hasMessageContaining("#/tools/0/function/name");
        assertThatThrownBy(() -> ToolCallGrammar.forTools(TOOLS, new ToolChoice.Named("nope"), true))
                .isInstanceOf(InvalidSchemaException.class).hasMessageContaining("'nope', which is not a tool");
        assertThatThrownBy(() -> ToolChoice.of(json("'sometimes'"))).isInstanceOf(InvalidSchemaException.class);
    }

    @Test
    void readsOpenAisToolChoiceForms() {
        org.assertj.core.api.Assertions.assertThat(ToolChoice.of(null)).isEqualTo(new ToolChoice.Auto());
        org.assertj.core.api.Assertions.assertThat(ToolChoice.of(json("'required'"))).isEqualTo(new ToolChoice.Required());
        org.assertj.core.api.Assertions.assertThat(ToolChoice.of(json("'none'"))).isEqualTo(new ToolChoice.None());
        org.assertj.core.api.Assertions.assertThat(ToolChoice.of(json("{'type': 'function', 'function': {'name': 'f'}}")))
                .isEqualTo(new ToolChoice.Named("f"));
    }
}
