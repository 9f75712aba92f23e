package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.llmplatform.launcher.LocalPlatform;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Structured outputs, tool calls and logprobs through the whole platform on the default model: the grammar the
 * gateway builds is enforced by the engine, so what comes back parses and conforms, whatever the small model would
 * have written on its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class StructuredOutputsEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    /** Schemas of the kinds OpenAI's strict mode allows: nested objects, bounded arrays, enums, anyOf, $defs. */
    private static final Map<String, String> CONFORMANCE = new LinkedHashMap<>();

    static {
        CONFORMANCE.put("verse", """
                {"type": "object", "additionalProperties": false, "required": ["book", "chapter", "verse", "text", "tags"],
                 "properties": {"book": {"enum": ["Genesis", "Exodus", "Psalms", "John"]},
                   "chapter": {"type": "integer"}, "verse": {"type": "integer"},
                   "text": {"type": "string", "maxLength": 40},
                   "tags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "minItems": 1, "maxItems": 3}}}""");
        CONFORMANCE.put("person", """
                {"type": "object", "additionalProperties": false, "required": ["name", "address", "nickname", "alive"],
                 "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 20},
                   "address": {"type": "object", "additionalProperties": false, "required": ["city", "zip"],
                     "properties": {"city": {"type": "string", "maxLength": 16}, "zip": {"type": "integer"}}},
                   "nickname": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "null"}]},
                   "alive": {"type": "boolean"}}}""");
        CONFORMANCE.put("order", """
                {"type": "object", "additionalProperties": false, "required": ["items", "total", "rush"],
                 "properties": {"items": {"type": "array", "minItems": 2, "maxItems": 4, "items": {"type": "object",
                     "additionalProperties": false, "required": ["id", "kind"],
                     "properties": {"id": {"type": "integer"}, "kind": {"enum": ["bread", "wine", "oil"]}}}},
                   "total": {"type": "number"}, "rush": {"const": true}}}""");
        CONFORMANCE.put("journey", """
                {"type": "object", "additionalProperties": false, "required": ["from", "to"],
                 "$defs": {"place": {"type": "object", "additionalProperties": false, "required": ["name", "kind"],
                   "properties": {"name": {"type": "string", "maxLength": 12}, "kind": {"enum": ["city", "river", "mount"]}}}},
                 "properties": {"from": {"$ref": "#/$defs/place"}, "to": {"$ref": "#/$defs/place"},
                   "via": {"type": "array", "items": {"$ref": "#/$defs/place"}, "maxItems": 2}}}""");
    }

    private static final String WEATHER = """
            {"type": "function", "function": {"name": "get_weather", "description": "The weather in a city",
              "parameters": {"type": "object", "additionalProperties": false, "required": ["city", "days"],
                "properties": {"city": {"enum": ["Jerusalem", "Babylon", "Nineveh"]}, "days": {"type": "integer"}}}}}""";
    private static final String PSALM = """
            {"type": "function", "function": {"name": "find_psalm", "description": "A psalm by number",
              "parameters": {"type": "object", "additionalProperties": false, "required": ["number"],
                "properties": {"number": {"type": "integer"}}}}}""";

    private LocalPlatform platform;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-structured-" + System.nanoTime()).start();
    }

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void twoHundredGenerationsOverSeedsAndTemperaturesAllParseAndConform() throws Exception {
        List<Callable<String>> checks = new ArrayList<>();
        double[] temperatures = {0.0, 0.6, 1.0, 1.4, 2.0};
        for (var schema : CONFORMANCE.entrySet()) {
            Schema validator = SCHEMAS.getSchema(schema.getValue());
            for (double temperature : temperatures) {
                for (int seed = 0; seed < 10; seed++) {
                    ObjectNode body = chat("Tell me about the " + schema.getKey() + ".", 400);
                    body.put("temperature", temperature).put("seed", seed);
                    body.putObject("response_format").put("type", "json_schema").putObject("json_schema")
                            .put("name", schema.getKey()).put("strict", true).set("schema", JSON.readTree(schema.getValue()));
                    String label = schema.getKey() + " at temperature " + temperature + ", seed " + seed;
                    checks.add(() -> {
                        JsonNode choice = post("/v1/chat/completions", body).get("choices").get(0);
                        String content = choice.at("/message/content").asString();
                        assertThat(choice.get("finish_reason").asString()).as("%s: %s", label, content).isEqualTo("stop");
                        JsonNode output = JSON.readTree(content);
                        assertThat(validator.validate(output)).as("%s: %s", label, content).isEmpty();
                        return content;
                    });
                }
            }
        }
        assertThat(checks).hasSizeGreaterThanOrEqualTo(200);

        List<String> outputs = runAll(checks);

        assertThat(outputs.stream().distinct().count()).as("sampling still varies within the grammar").isGreaterThan(100);
    }

    @Test
    void jsonObjectModeGivesAJsonObject() throws Exception {
        for (int seed = 0; seed < 5; seed++) {
            ObjectNode body = chat("Reply in JSON.", 480);
            body.put("seed", seed).put("temperature", 0.7).putObject("response_format").put("type", "json_object");

            JsonNode choice = post("/v1/chat/completions", body).get("choices").get(0);

            if (choice.get("finish_reason").asString().equals("stop")) {
                assertThat(JSON.readTree(choice.at("/message/content").asString()).isObject()).isTrue();
            }
        }
    }

    @Test
    void aNamedToolIsCalledWithArgumentsValidForItsParameters() throws Exception {
        ObjectNode body = chat("What is the weather in Jerusalem?", 200);
        body.set("tools", JSON.readTree("[" + WEATHER + "," + PSALM + "]"));
        body.set("tool_choice", JSON.readTree("{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}"));
        body.put("parallel_tool_calls", false);

        JsonNode choice = post("/v1/chat/completions", body).get("choices").get(0);

        assertThat(choice.get("finish_reason").asString()).isEqualTo("tool_calls");
        JsonNode calls = choice.at("/message/tool_calls");
        assertThat(calls).hasSize(1);
        assertThat(choice.at("/message/content").isNull()).isTrue();
        JsonNode call = calls.get(0);
        assertThat(call.get("id").asString()).startsWith("call_");
        assertThat(call.get("type").asString()).isEqualTo("function");
        assertThat(call.at("/function/name").asString()).isEqualTo("get_weather");
        assertConforms(WEATHER, call.at("/function/arguments").asString());
    }

    @Test
    void requiredToolCallsStreamIdAndNameFirstThenTheArgumentsInPieces() throws Exception {
        ObjectNode body = chat("Find psalm 23.", 200);
        body.set("tools", JSON.readTree("[" + WEATHER + "," + PSALM + "]"));
        body.put("tool_choice", "required").put("parallel_tool_calls", false).put("stream", true);

        List<JsonNode> events = stream(body);

        List<JsonNode> toolDeltas = new ArrayList<>();
        String finishReason = null;
        for (JsonNode event : events) {
            JsonNode choice = event.at("/choices/0");
            choice.at("/delta/tool_calls").forEach(toolDeltas::add);
            if (choice.hasNonNull("finish_reason")) {
                finishReason = choice.get("finish_reason").asString();
            }
        }
        assertThat(finishReason).isEqualTo("tool_calls");
        assertThat(toolDeltas).isNotEmpty();
        JsonNode first = toolDeltas.getFirst();
        assertThat(first.get("index").asInt()).isZero();
        assertThat(first.get("id").asString()).startsWith("call_");
        assertThat(first.get("type").asString()).isEqualTo("function");
        String name = first.at("/function/name").asString();
        assertThat(name).isIn("get_weather", "find_psalm");
        var arguments = new StringBuilder();
        toolDeltas.stream().skip(1).forEach(delta -> {
            assertThat(delta.has("id")).as("only the first delta of a call names it").isFalse();
            arguments.append(delta.at("/function/arguments").asString());
        });
        assertThat(toolDeltas.size()).as("arguments in pieces").isGreaterThan(2);
        assertConforms(name.equals("get_weather") ? WEATHER : PSALM, arguments.toString());
    }

    @Test
    void withAutoTheModelEitherCallsOrAnswersAndTheFinishReasonSaysWhich() throws Exception {
        for (int seed = 0; seed < 4; seed++) {
            ObjectNode body = chat("What is the weather in Babylon?", 200);
            body.set("tools", JSON.readTree("[" + WEATHER + "]"));
            body.put("tool_choice", "auto").put("parallel_tool_calls", false).put("seed", seed).put("temperature", 1.0);

            JsonNode choice = post("/v1/chat/completions", body).get("choices").get(0);

            if (choice.at("/message/tool_calls").isArray()) {
                assertThat(choice.get("finish_reason").asString()).isEqualTo("tool_calls");
                assertConforms(WEATHER, choice.at("/message/tool_calls/0/function/arguments").asString());
            } else {
                assertThat(choice.get("finish_reason").asString()).isIn("stop", "length");
                assertThat(choice.at("/message/content").isString()).isTrue();
            }
        }
    }

    @Test
    void aToolResultGoesBackToTheModelInTheNextTurn() throws Exception {
        ObjectNode first = chat("What is the weather in Nineveh?", 200);
        first.set("tools", JSON.readTree("[" + WEATHER + "]"));
        first.put("tool_choice", "required").put("parallel_tool_calls", false);
        JsonNode message = post("/v1/chat/completions", first).at("/choices/0/message");
        String callId = message.at("/tool_calls/0/id").asString();

        ObjectNode second = chat("What is the weather in Nineveh?", 24);
        second.set("tools", JSON.readTree("[" + WEATHER + "]"));
        var messages = second.withArray("messages");
        messages.add(message);
        messages.addObject().put("role", "tool").put("tool_call_id", callId).put("content", "Hot and dry, 40 degrees.");
        second.put("tool_choice", "none");
        JsonNode answer = post("/v1/chat/completions", second);

        assertThat(answer.at("/choices/0/message/content").asString()).isNotBlank();
        assertThat(answer.at("/choices/0/message/tool_calls").isMissingNode()).isTrue();
        assertThat(answer.at("/usage/prompt_tokens").asInt()).as("the call and its result are in the prompt")
                .isGreaterThan(post("/v1/chat/completions", chat("What is the weather in Nineveh?", 1)).at("/usage/prompt_tokens").asInt() + 20);
    }

    @Test
    void greedyLogprobsNameTheChosenTokenAsTheLikeliest() throws Exception {
        ObjectNode body = chat("Recite Genesis 1:1", 16);
        body.put("temperature", 0).put("logprobs", true).put("top_logprobs", 3);

        JsonNode choice = post("/v1/chat/completions", body).get("choices").get(0);

        JsonNode content = choice.at("/logprobs/content");
        assertThat(content.size()).isGreaterThan(0);
        var text = new StringBuilder();
        for (JsonNode entry : content) {
            assertThat(entry.get("top_logprobs")).hasSize(3);
            assertThat(entry.at("/top_logprobs/0/token").asString()).isEqualTo(entry.get("token").asString());
            assertThat(entry.at("/top_logprobs/0/logprob").asDouble()).isEqualTo(entry.get("logprob").asDouble());
            assertThat(entry.get("logprob").asDouble()).isLessThanOrEqualTo(0.0);
            text.append(entry.get("token").asString());
        }
        assertThat(text.toString()).isEqualTo(choice.at("/message/content").asString());
    }

    @Test
    void legacyCompletionLogprobsAreParallelArraysOverTheText() throws Exception {
        ObjectNode body = JSON.createObjectNode().put("model", LocalPlatform.MODEL).put("prompt", "In the beginning")
                .put("max_tokens", 8).put("temperature", 0).put("logprobs", 2);

        JsonNode choice = post("/v1/completions", body).get("choices").get(0);

        JsonNode logprobs = choice.get("logprobs");
        assertThat(logprobs.get("tokens")).hasSize(logprobs.get("token_logprobs").size()).hasSize(logprobs.get("text_offset").size());
        var text = new StringBuilder();
        logprobs.get("tokens").forEach(token -> text.append(token.asString()));
        assertThat(text.toString()).isEqualTo(choice.get("text").asString());
        assertThat(logprobs.at("/top_logprobs/0").size()).isBetween(1, 2);
    }

    @Test
    void streamedLogprobsCoverEveryToken() throws Exception {
        ObjectNode body = chat("Recite Genesis 1:1", 12);
        body.put("temperature", 0).put("logprobs", true).put("stream", true);
        body.putObject("stream_options").put("include_usage", true);

        List<JsonNode> events = stream(body);

        int entries = 0;
        for (JsonNode event : events) {
            JsonNode content = event.at("/choices/0/logprobs/content");
            entries += content.isArray() ? content.size() : 0;
        }
        assertThat(entries).isEqualTo(events.getLast().at("/usage/completion_tokens").asInt());
    }

    @Test
    void aTokenBiasedBy100ComesEveryTimeAndOneOutsideTheVocabularyIsA400() throws Exception {
        ObjectNode forced = chat("Recite Genesis 1:1", 4);
        forced.put("temperature", 0).put("logprobs", true).putObject("logit_bias").put("500", 100);

        JsonNode choice = post("/v1/chat/completions", forced).get("choices").get(0);

        JsonNode tokens = choice.at("/logprobs/content");
        assertThat(tokens).hasSize(4);
        tokens.forEach(token -> assertThat(token.get("token").asString()).isEqualTo(tokens.get(0).get("token").asString()));

        ObjectNode outside = chat("Recite Genesis 1:1", 4);
        outside.putObject("logit_bias").put("99999999", -100);
        var refused = http.send(authorized(platform.gateway("/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(outside.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(JSON.readTree(refused.body()).at("/error/message").asString()).contains("logit_bias");
    }

    /** openai-java derives a strict JSON schema from a class and reads the answer back into it. */
    @Test
    void theOfficialJavaClientsStructuredOutputsReadBackIntoAClass() {
        OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(platform.apiKey())
                .baseUrl(platform.gateway("/v1").toString()).maxRetries(0).timeout(Duration.ofMinutes(2)).build();
        try {
            var params = ChatCompletionCreateParams.builder()
                    .model(LocalPlatform.MODEL)
                    .addUserMessage("Which book is Genesis?")
                    .maxCompletionTokens(300)
                    .responseFormat(Book.class)
                    .build();

            var completion = client.chat().completions().create(params);

            Book book = completion.choices().getFirst().message().content().orElseThrow();
            assertThat(book.testament()).isIn(Testament.values());
            assertThat(book.chapters()).isNotNull();
        } finally {
            client.close();
        }
    }

    public enum Testament { OLD, NEW }

    public record Book(String name, Testament testament, long chapters, boolean poetry) {
    }

    private static void assertConforms(String tool, String arguments) {
        Schema parameters = SCHEMAS.getSchema(JSON.readTree(tool).at("/function/parameters").toString());
        assertThat(parameters.validate(JSON.readTree(arguments))).as(arguments).isEmpty();
    }

    private static ObjectNode chat(String question, int maxTokens) {
        ObjectNode body = JSON.createObjectNode().put("model", LocalPlatform.MODEL).put("max_tokens", maxTokens);
        body.putArray("messages").addObject().put("role", "user").put("content", question);
        return body;
    }

    private static <T> List<T> runAll(List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<T>> futures = pool.invokeAll(tasks, 15, TimeUnit.MINUTES);
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private JsonNode post(String path, JsonNode body) throws Exception {
        var response = http.send(authorized(platform.gateway(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private List<JsonNode> stream(JsonNode body) throws Exception {
        var response = http.send(authorized(platform.gateway("/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<JsonNode> events = new ArrayList<>();
        try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                    events.add(JSON.readTree(line.substring("data: ".length())));
                }
            }
        }
        return events;
    }

    private HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(3)).header("Authorization", "Bearer " + platform.apiKey());
    }
}
