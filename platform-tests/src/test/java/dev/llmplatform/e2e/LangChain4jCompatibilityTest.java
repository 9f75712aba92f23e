package dev.llmplatform.e2e;

import static dev.langchain4j.model.chat.Capability.RESPONSE_FORMAT_JSON_SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ReturnBehavior;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.LogProb;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiChatResponseMetadata;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.llmplatform.launcher.LocalPlatform;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * LangChain4j (dev.langchain4j:langchain4j-open-ai, its OpenAI chat models and AiServices) against the whole
 * platform, each service its own process, configured as an application would point it at api.openai.com: plain and
 * streamed chat, JSON-schema structured output read back into a record, and tool calls with their round trip.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class LangChain4jCompatibilityTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private static final ToolSpecification GET_WEATHER = ToolSpecification.builder()
            .name("get_weather")
            .description("The weather in a city")
            .parameters(JsonObjectSchema.builder()
                    .addEnumProperty("city", List.of("Jerusalem", "Babylon", "Nineveh"))
                    .addIntegerProperty("days", "how many days to forecast")
                    .required("city", "days")
                    .additionalProperties(false)
                    .build())
            .build();

    private LocalPlatform platform;

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-lc4j-" + System.nanoTime()).start();
    }

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void aPlainChatAnswersWithTextAFinishReasonTokenUsageAndLogprobs() {
        OpenAiChatModel model = chatModel().maxTokens(24).temperature(0.0).seed(7).logprobs(true).topLogprobs(2).build();

        ChatResponse response = model.chat(ChatRequest.builder()
                .messages(SystemMessage.from("You recite scripture."),
                        UserMessage.from("Recite Genesis 1:1"))
                .build());

        String text = response.aiMessage().text();
        assertThat(text).isNotBlank();
        assertThat(response.aiMessage().hasToolExecutionRequests()).isFalse();
        assertThat(response.id()).startsWith("chatcmpl-");
        assertThat(response.modelName()).isEqualTo(LocalPlatform.MODEL);
        assertThat(response.finishReason()).isIn(FinishReason.STOP, FinishReason.LENGTH);
        assertUsage(response.tokenUsage(), 24);
        List<LogProb> logProbs = ((OpenAiChatResponseMetadata) response.metadata()).logProbs();
        assertThat(logProbs).as("one entry per generated token").hasSize(response.tokenUsage().outputTokenCount());
        assertThat(logProbs.stream().map(LogProb::token).collect(Collectors.joining())).isEqualTo(text);
        assertThat(logProbs).allSatisfy(entry -> {
            assertThat(entry.logprob()).isLessThanOrEqualTo(0.0);
            assertThat(entry.topLogprobs()).hasSize(2);
        });

        assertThat(model.chat("In the beginning")).as("the one-line convenience call").isNotBlank();
    }

    @Test
    void aStreamedChatDeliversTheTextInPiecesThenTheFinishReasonAndUsage() throws Exception {
        OpenAiStreamingChatModel model = streamingModel().maxTokens(24).temperature(0.0).build();
        var pieces = new CopyOnWriteArrayList<String>();
        var done = new CompletableFuture<ChatResponse>();

        model.chat("Recite Genesis 1:1", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
                pieces.add(partialResponse);
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(3, TimeUnit.MINUTES);

        assertThat(pieces).as("streamed, not delivered at once").hasSizeGreaterThan(1);
        assertThat(response.aiMessage().text()).isNotBlank().isEqualTo(String.join("", pieces));
        assertThat(response.finishReason()).isIn(FinishReason.STOP, FinishReason.LENGTH);
        assertUsage(response.tokenUsage(), 24);
    }

    @Test
    void aStrictJsonSchemaResponseFormatGivesJsonThatParsesIntoTheRecord() {
        OpenAiChatModel model = chatModel().maxTokens(400).strictJsonSchema(true).build();
        ResponseFormat format = ResponseFormat.builder()
                .type(ResponseFormatType.JSON)
                .jsonSchema(JsonSchema.builder()
                        .name("verse")
                        .rootElement(JsonObjectSchema.builder()
                                .addEnumProperty("book", List.of("Genesis", "Exodus", "Psalms", "John"))
                                .addIntegerProperty("chapter")
                                .addIntegerProperty("verse")
                                .addBooleanProperty("poetry")
                                .required("book", "chapter", "verse", "poetry")
                                .additionalProperties(false)
                                .build())
                        .build())
                .build();

        ChatResponse response = model.chat(ChatRequest.builder()
                .messages(UserMessage.from("Which verse is the first of the Bible?"))
                .responseFormat(format)
                .build());

        String content = response.aiMessage().text();
        assertThat(response.finishReason()).as(content).isEqualTo(FinishReason.STOP);
        JsonNode json = JSON.readTree(content);
        assertThat(json.propertyNames()).as(content).containsExactlyInAnyOrder("book", "chapter", "verse", "poetry");
        Verse verse = JSON.treeToValue(json, Verse.class);
        assertThat(verse.book()).isIn(BibleBook.values());
    }

    @Test
    void anAiServiceReturnsARecordReadFromTheModelsStructuredOutput() {
        var requests = new CopyOnWriteArrayList<ChatRequest>();
        OpenAiChatModel model = chatModel()
                .maxTokens(400)
                .supportedCapabilities(RESPONSE_FORMAT_JSON_SCHEMA)
                .strictJsonSchema(true)
                .listeners(List.of(recording(requests)))
                .build();
        Librarian librarian = AiServices.builder(Librarian.class).chatModel(model).build();

        Book book = librarian.describe("Which book is Genesis?");

        assertThat(book).isNotNull();
        assertThat(book.testament()).isIn(Testament.values());
        if (book.name() != null) { // a String field of a record is nullable in the schema langchain4j derives
            assertThat(book.name()).hasSizeLessThanOrEqualTo(500);
        }
        assertThat(requests).hasSize(1).first().satisfies(request -> {
            assertThat(request.responseFormat().type()).as("sent as a response_format, not prompt instructions")
                    .isEqualTo(ResponseFormatType.JSON);
            assertThat(request.responseFormat().jsonSchema()).isNotNull();
        });
    }

    @Test
    void aRequiredToolIsCalledWithJsonArgumentsForItsParameters() {
        OpenAiChatModel model = chatModel().maxTokens(200).parallelToolCalls(false).build();

        ChatResponse response = model.chat(weatherQuestion(ToolChoice.REQUIRED));

        AiMessage message = response.aiMessage();
        assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        assertThat(message.toolExecutionRequests()).hasSize(1);
        assertWeatherCall(message.toolExecutionRequests().getFirst());
    }

    @Test
    void aToolResultInTheNextTurnGetsATextAnswer() {
        OpenAiChatModel model = chatModel().maxTokens(200).parallelToolCalls(false).build();
        UserMessage question = UserMessage.from("What is the weather in Nineveh?");
        ChatResponse call = model.chat(ChatRequest.builder()
                .messages(question).toolSpecifications(GET_WEATHER).toolChoice(ToolChoice.REQUIRED).build());
        ToolExecutionRequest request = call.aiMessage().toolExecutionRequests().getFirst();

        ChatResponse answer = model.chat(ChatRequest.builder()
                .messages(question, call.aiMessage(), ToolExecutionResultMessage.from(request, "Hot and dry, 40 degrees."))
                .toolSpecifications(GET_WEATHER)
                .toolChoice(ToolChoice.NONE)
                .maxOutputTokens(24)
                .build());

        assertThat(answer.aiMessage().hasToolExecutionRequests()).isFalse();
        assertThat(answer.aiMessage().text()).isNotBlank();
        assertThat(answer.finishReason()).isIn(FinishReason.STOP, FinishReason.LENGTH);
        assertThat(answer.tokenUsage().inputTokenCount()).as("the call and its result are in the prompt")
                .isGreaterThan(call.tokenUsage().inputTokenCount());
    }

    @Test
    void aStreamedRequiredToolCallArrivesInPiecesAndCompletes() throws Exception {
        OpenAiStreamingChatModel model = streamingModel().maxTokens(200).parallelToolCalls(false).build();
        var partials = new CopyOnWriteArrayList<PartialToolCall>();
        var completed = new CopyOnWriteArrayList<CompleteToolCall>();
        var done = new CompletableFuture<ChatResponse>();

        model.chat(weatherQuestion(ToolChoice.REQUIRED), new StreamingChatResponseHandler() {
            @Override
            public void onPartialToolCall(PartialToolCall partialToolCall) {
                partials.add(partialToolCall);
            }

            @Override
            public void onCompleteToolCall(CompleteToolCall completeToolCall) {
                completed.add(completeToolCall);
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(3, TimeUnit.MINUTES);

        assertThat(partials).as("arguments in pieces").hasSizeGreaterThan(1);
        assertThat(partials).allSatisfy(partial -> assertThat(partial.name()).isEqualTo("get_weather"));
        assertThat(completed).hasSize(1);
        assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        assertThat(response.aiMessage().toolExecutionRequests()).hasSize(1);
        ToolExecutionRequest request = response.aiMessage().toolExecutionRequests().getFirst();
        assertWeatherCall(request);
        assertThat(partials.stream().map(PartialToolCall::partialArguments).collect(Collectors.joining()))
                .isEqualTo(request.arguments());
        assertThat(completed.getFirst().toolExecutionRequest()).isEqualTo(request);
    }

    @Test
    void anAiServiceInvokesAnAnnotatedToolWhenTheModelMustCallOne() {
        var requests = new CopyOnWriteArrayList<ChatRequest>();
        OpenAiChatModel model = chatModel()
                .maxTokens(200)
                .parallelToolCalls(false)
                .defaultRequestParameters(ChatRequestParameters.builder().toolChoice(ToolChoice.REQUIRED).build())
                .listeners(List.of(recording(requests)))
                .build();
        var weather = new WeatherTools();
        Forecaster forecaster = AiServices.builder(Forecaster.class).chatModel(model).tools(weather)
                .maxToolCallingRoundTrips(3) // tool_choice stays required: a failed call must not loop long
                .build();

        Result<String> result = forecaster.ask("What is the weather in Babylon?");

        assertThat(weather.calls).as("the @Tool method ran").hasSize(1);
        assertThat(weather.calls.getFirst()).matches("(Jerusalem|Babylon|Nineveh) for -?\\d+ days");
        assertThat(result.finishReason()).as("returned straight from the tool").isEqualTo(FinishReason.TOOL_EXECUTION);
        assertThat(result.toolExecutions()).hasSize(1).first().satisfies(execution -> {
            assertThat(execution.request().name()).isEqualTo("get_weather");
            assertThat(execution.request().id()).startsWith("call_");
            assertThat(execution.result()).isEqualTo("Hot and dry in " + weather.calls.getFirst());
        });
        assertThat(requests).hasSize(1).first().satisfies(request -> {
            assertThat(request.toolChoice()).isEqualTo(ToolChoice.REQUIRED);
            assertThat(request.toolSpecifications()).extracting(ToolSpecification::name).containsExactly("get_weather");
        });
    }

    public enum BibleBook { Genesis, Exodus, Psalms, John }

    public record Verse(BibleBook book, long chapter, long verse, boolean poetry) {
    }

    public enum Testament { OLD, NEW }

    public record Book(String name, Testament testament, long chapters, boolean poetry) {
    }

    interface Librarian {
        Book describe(String question);
    }

    interface Forecaster {
        Result<String> ask(String question);
    }

    public enum City { Jerusalem, Babylon, Nineveh }

    static class WeatherTools {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Tool(name = "get_weather", value = "The weather in a city", returnBehavior = ReturnBehavior.IMMEDIATE)
        public String getWeather(City city, long days) {
            String call = city + " for " + days + " days";
            calls.add(call);
            return "Hot and dry in " + call;
        }
    }

    private ChatRequest weatherQuestion(ToolChoice toolChoice) {
        return ChatRequest.builder()
                .messages(UserMessage.from("What is the weather in Jerusalem?"))
                .toolSpecifications(GET_WEATHER)
                .toolChoice(toolChoice)
                .build();
    }

    private static void assertWeatherCall(ToolExecutionRequest request) {
        assertThat(request.id()).startsWith("call_");
        assertThat(request.name()).isEqualTo("get_weather");
        JsonNode arguments = JSON.readTree(request.arguments());
        assertThat(arguments.propertyNames()).as(request.arguments()).containsExactlyInAnyOrder("city", "days");
        assertThat(arguments.get("city").asString()).as(request.arguments()).isIn("Jerusalem", "Babylon", "Nineveh");
        assertThat(arguments.get("days").isIntegralNumber()).as(request.arguments()).isTrue();
    }

    private static void assertUsage(TokenUsage usage, int maxTokens) {
        assertThat(usage.inputTokenCount()).isPositive();
        assertThat(usage.outputTokenCount()).isBetween(1, maxTokens);
        assertThat(usage.totalTokenCount()).isEqualTo(usage.inputTokenCount() + usage.outputTokenCount());
    }

    private static ChatModelListener recording(List<ChatRequest> requests) {
        return new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext requestContext) {
                requests.add(requestContext.chatRequest());
            }
        };
    }

    private OpenAiChatModel.OpenAiChatModelBuilder chatModel() {
        return OpenAiChatModel.builder()
                .baseUrl(platform.gateway("/v1").toString())
                .apiKey(platform.apiKey())
                .modelName(LocalPlatform.MODEL)
                .timeout(TIMEOUT)
                .maxRetries(0); // a retried request would hide the status under test
    }

    private OpenAiStreamingChatModel.OpenAiStreamingChatModelBuilder streamingModel() {
        return OpenAiStreamingChatModel.builder()
                .baseUrl(platform.gateway("/v1").toString())
                .apiKey(platform.apiKey())
                .modelName(LocalPlatform.MODEL)
                .timeout(TIMEOUT);
    }
}
