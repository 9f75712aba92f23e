package dev.llmplatform.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The OpenAI API over real sockets: HTTP in front, a scripted scheduler on gRPC behind. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "gateway.resilience.time-to-first-token=1500ms")
@AutoConfigureWebTestClient
class OpenAiApiTest {

    static final FakeScheduler scheduler = FakeScheduler.start();

    @DynamicPropertySource
    static void schedulerTarget(DynamicPropertyRegistry registry) {
        registry.add("gateway.scheduler-target", scheduler::target);
    }

    @AfterAll
    static void stopScheduler() {
        scheduler.stop();
    }

    /** The laptop's documented dev key (application.yml). */
    static final String DEV_KEY = "sk-llm-platform-dev";

    @Autowired
    WebTestClient http;

    @org.springframework.boot.test.web.server.LocalServerPort
    int port;

    @BeforeEach
    void authenticate() {
        http = http.mutate().defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + DEV_KEY).build();
    }

    final JsonMapper json = JsonMapper.builder().build();

    @Test
    void answersAChatCompletionAsOneJsonDocument() {
        JsonNode body = postJson("/v1/chat/completions", """
                {"model": "tiny", "messages": [{"role": "user", "content": "Say hello"}]}""");

        assertThat(body.get("id").stringValue()).startsWith("chatcmpl-");
        assertThat(body.get("object").stringValue()).isEqualTo("chat.completion");
        assertThat(body.get("created").longValue()).isPositive();
        assertThat(body.get("model").stringValue()).isEqualTo("tiny");
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("index").intValue()).isZero();
        assertThat(choice.get("message").get("role").stringValue()).isEqualTo("assistant");
        assertThat(choice.get("message").get("content").stringValue()).isEqualTo("Hello, world");
        assertThat(choice.get("finish_reason").stringValue()).isEqualTo("stop");
        assertThat(choice.has("logprobs")).isTrue();
        assertThat(choice.get("logprobs").isNull()).isTrue();
        assertThat(body.get("usage").get("prompt_tokens").intValue()).isEqualTo(7);
        assertThat(body.get("usage").get("completion_tokens").intValue()).isEqualTo(3);
        assertThat(body.get("usage").get("total_tokens").intValue()).isEqualTo(10);
    }

    @Test
    void reportsLengthWhenTheModelRanOutOfTokens() {
        JsonNode body = postJson("/v1/chat/completions", """
                {"model": "tiny-long", "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 3}""");

        assertThat(body.get("choices").get(0).get("finish_reason").stringValue()).isEqualTo("length");
    }

    @Test
    void sendsTheSchedulerTheMappedRequest() {
        http.post().uri("/v1/chat/completions")
                .header("x-request-id", "trace-42")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"model": "tiny",
                         "messages": [{"role": "developer", "content": "Be brief."},
                                      {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "there"}], "name": "ann"}],
                         "temperature": 0.25, "top_p": 0.9, "max_tokens": 5, "seed": 1234, "stop": ["\\n", "END"],
                         "presence_penalty": 0.5, "frequency_penalty": -0.5, "repetition_penalty": 1.25, "user": "u1", "n": 1}""")
                .exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("x-request-id", "trace-42");

        ScheduleGenerateRequest sent = scheduler.lastRequest.get();
        assertThat(sent.getRequestId()).isEqualTo("trace-42");
        assertThat(scheduler.lastRequestIdHeader.get()).isEqualTo("trace-42");
        assertThat(sent.getModel()).isEqualTo("tiny");
        assertThat(sent.getMessages().getMessagesList())
                .extracting(m -> m.getRole() + "|" + m.getContent() + "|" + m.getName())
                .containsExactly("system|Be brief.|", "user|Hi\nthere|ann");
        var sampling = sent.getSampling();
        assertThat(sampling.getTemperature()).isEqualTo(0.25f);
        assertThat(sampling.getTopP()).isEqualTo(0.9f);
        assertThat(sampling.getMaxTokens()).isEqualTo(5);
        assertThat(sampling.hasSeed()).isTrue();
        assertThat(sampling.getSeed()).isEqualTo(1234L);
        assertThat(sampling.getStopList()).containsExactly("\n", "END");
        assertThat(sampling.getPresencePenalty()).isEqualTo(0.5f);
        assertThat(sampling.getFrequencyPenalty()).isEqualTo(-0.5f);
        assertThat(sampling.getRepetitionPenalty()).isEqualTo(1.25f);
    }

    @Test
    void defaultsSamplingTheWayOpenAiDoes() {
        postJson("/v1/chat/completions", """
                {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "temperature": null, "stop": "STOP"}""");

        ScheduleGenerateRequest sent = scheduler.lastRequest.get();
        assertThat(sent.getRequestId()).startsWith("req-");
        assertThat(sent.getSampling().getTemperature()).isEqualTo(1.0f);
        assertThat(sent.getSampling().getTopP()).isEqualTo(1.0f);
        assertThat(sent.getSampling().getMaxTokens()).isZero();
        assertThat(sent.getSampling().hasSeed()).isFalse();
        assertThat(sent.getSampling().getStopList()).containsExactly("STOP");
        assertThat(sent.getSampling().getRepetitionPenalty()).isEqualTo(1.0f);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            chat, at the vLLM maximum | /v1/chat/completions | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "repetition_penalty": 2}     | 2.0
            chat, below one           | /v1/chat/completions | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "repetition_penalty": 0.5}   | 0.5
            chat, null                | /v1/chat/completions | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "repetition_penalty": null}  | 1.0
            legacy completion         | /v1/completions      | {"model": "tiny", "prompt": "In the beginning", "repetition_penalty": 1.3}                     | 1.3
            legacy completion, absent | /v1/completions      | {"model": "tiny", "prompt": "In the beginning"}                                                | 1.0
            """)
    void passesTheRepetitionPenaltyOnInChatAndLegacyCompletions(String what, String path, String body, float expected) {
        postJson(path, body);

        assertThat(scheduler.lastRequest.get().getSampling().getRepetitionPenalty()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            chat, asked               | /v1/chat/completions | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "ignore_eos": true}  | true
            chat, absent              | /v1/chat/completions | {"model": "tiny", "messages": [{"role": "user", "content": "x"}]}                      | false
            chat, null                | /v1/chat/completions | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "ignore_eos": null}  | false
            legacy completion, asked  | /v1/completions      | {"model": "tiny", "prompt": "In the beginning", "ignore_eos": true}                    | true
            legacy completion, false  | /v1/completions      | {"model": "tiny", "prompt": "In the beginning", "ignore_eos": false}                   | false
            """)
    void passesIgnoreEosOnInChatAndLegacyCompletions(String what, String path, String body, boolean expected) {
        postJson(path, body);

        assertThat(scheduler.lastRequest.get().getSampling().getIgnoreEos()).isEqualTo(expected);
    }

    @Test
    void streamsAChatCompletionAsOpenAiServerSentEvents() {
        String body = postForStream("/v1/chat/completions", """
                {"model": "tiny", "messages": [{"role": "user", "content": "Say hello"}],
                 "stream": true, "stream_options": {"include_usage": true}}""");

        assertThat(body).endsWith("data: [DONE]\n\n");
        List<JsonNode> events = events(body);
        assertThat(events).hasSize(6); // role, 3 x content, finish, usage
        String id = events.getFirst().get("id").stringValue();
        assertThat(id).startsWith("chatcmpl-");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.get("id").stringValue()).isEqualTo(id);
            assertThat(e.get("object").stringValue()).isEqualTo("chat.completion.chunk");
            assertThat(e.get("model").stringValue()).isEqualTo("tiny");
        });
        JsonNode first = events.getFirst().get("choices").get(0);
        assertThat(first.get("delta").get("role").stringValue()).isEqualTo("assistant");
        assertThat(first.get("delta").get("content").stringValue()).isEmpty();
        assertThat(first.get("finish_reason").isNull()).isTrue();
        assertThat(events.subList(1, 4)).extracting(e -> e.get("choices").get(0).get("delta").get("content").stringValue())
                .containsExactly("Hello", ", ", "world");
        assertThat(events.subList(0, 4)).allSatisfy(e -> assertThat(e.get("choices").get(0).get("finish_reason").isNull()).isTrue());
        JsonNode last = events.get(4).get("choices").get(0);
        assertThat(last.get("delta").isEmpty()).isTrue();
        assertThat(last.get("finish_reason").stringValue()).isEqualTo("stop");
        JsonNode usage = events.get(5);
        assertThat(usage.get("choices").isEmpty()).isTrue();
        assertThat(usage.get("usage").get("total_tokens").intValue()).isEqualTo(10);
    }

    @Test
    void leavesUsageOutOfAStreamThatDidNotAskForIt() {
        List<JsonNode> events = events(postForStream("/v1/chat/completions", """
                {"model": "tiny", "messages": [{"role": "user", "content": "Say hello"}], "stream": true}"""));

        assertThat(events).hasSize(5);
        assertThat(events).noneMatch(e -> e.has("usage"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            an array of token ids          | [15, 0, 7]
            an array of one array of them  | [[15, 0, 7]]
            """)
    void sendsATokenIdPromptToTheSchedulerAsTokenIdsNotText(String form, String prompt) {
        postJson("/v1/completions", """
                {"model": "tiny", "prompt": %s, "max_tokens": 3}""".formatted(prompt));

        ScheduleGenerateRequest sent = scheduler.lastRequest.get();
        assertThat(sent.getInputCase()).isEqualTo(ScheduleGenerateRequest.InputCase.PROMPT_TOKEN_IDS);
        assertThat(sent.getPromptTokenIds().getIdsList()).containsExactly(15, 0, 7);
    }

    @Test
    void answersALegacyCompletion() {
        JsonNode body = postJson("/v1/completions", """
                {"model": "tiny", "prompt": ["Once upon a time"]}""");

        assertThat(body.get("id").stringValue()).startsWith("cmpl-");
        assertThat(body.get("object").stringValue()).isEqualTo("text_completion");
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("text").stringValue()).isEqualTo("Hello, world");
        assertThat(choice.get("finish_reason").stringValue()).isEqualTo("stop");
        assertThat(choice.get("logprobs").isNull()).isTrue();
        assertThat(body.get("usage").get("completion_tokens").intValue()).isEqualTo(3);
        ScheduleGenerateRequest sent = scheduler.lastRequest.get();
        assertThat(sent.getPrompt()).isEqualTo("Once upon a time");
        assertThat(sent.getSampling().getMaxTokens()).isEqualTo(16);
    }

    @Test
    void streamsALegacyCompletion() {
        String body = postForStream("/v1/completions", """
                {"model": "tiny", "prompt": "Once", "stream": true, "stream_options": {"include_usage": true}}""");

        assertThat(body).endsWith("data: [DONE]\n\n");
        List<JsonNode> events = events(body);
        assertThat(events).allSatisfy(e -> assertThat(e.get("object").stringValue()).isEqualTo("text_completion"));
        assertThat(events.subList(0, 3)).extracting(e -> e.get("choices").get(0).get("text").stringValue())
                .containsExactly("Hello", ", ", "world");
        assertThat(events.get(3).get("choices").get(0).get("finish_reason").stringValue()).isEqualTo("stop");
        assertThat(events.get(4).get("usage").get("prompt_tokens").intValue()).isEqualTo(7);
    }

    @Test
    void listsTheServedModels() {
        JsonNode body = getJson("/v1/models", 200);

        assertThat(body.get("object").stringValue()).isEqualTo("list");
        JsonNode tiny = body.get("data").get(0);
        assertThat(tiny.get("id").stringValue()).isEqualTo("tiny");
        assertThat(tiny.get("object").stringValue()).isEqualTo("model");
        assertThat(tiny.get("created").longValue()).isEqualTo(1_700_000_000L);
        assertThat(tiny.get("owned_by").stringValue()).isEqualTo("llm-platform");
        assertThat(body.get("data")).hasSize(2);
    }

    @Test
    void showsOneModelEvenWithASlashInItsId() {
        assertThat(getJson("/v1/models/tiny", 200).get("owned_by").stringValue()).isEqualTo("llm-platform");
        assertThat(getJson("/v1/models/acme/big", 200).get("id").stringValue()).isEqualTo("acme/big");
    }

    @Test
    void refusesAnUnknownModelByIdWith404() {
        JsonNode error = getJson("/v1/models/nope", 404).get("error");

        assertThat(error.get("code").stringValue()).isEqualTo("model_not_found");
        assertThat(error.get("type").stringValue()).isEqualTo("invalid_request_error");
    }

    @Test
    void mapsTheSchedulersNotFoundTo404ModelNotFound() {
        JsonNode error = postExpecting("/v1/chat/completions", """
                {"model": "missing", "messages": [{"role": "user", "content": "Hi"}]}""", 404).get("error");

        assertThat(error.get("code").stringValue()).isEqualTo("model_not_found");
        assertThat(error.get("param").stringValue()).isEqualTo("model");
        assertThat(error.get("message").stringValue()).contains("missing");
    }

    @Test
    void mapsANotFoundBeforeTheFirstChunkOfAStreamToA404Too() {
        JsonNode error = postExpecting("/v1/chat/completions", """
                {"model": "missing", "messages": [{"role": "user", "content": "Hi"}], "stream": true}""", 404).get("error");

        assertThat(error.get("code").stringValue()).isEqualTo("model_not_found");
    }

    @Test
    void tellsASaturatedClientWhenToRetry() {
        http.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"model": "busy", "messages": [{"role": "user", "content": "Hi"}]}""")
                .exchange()
                .expectStatus().isEqualTo(429)
                .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "7") // the scheduler's retry-after-seconds trailer
                .expectBody().jsonPath("$.error.code").isEqualTo("rate_limit_exceeded");
    }

    @Test
    void answersNChoicesEachFromItsOwnSchedulerCall() {
        JsonNode body = postJson("/v1/chat/completions", """
                {"model": "tiny", "messages": [{"role": "user", "content": "Say hello"}], "n": 3, "seed": 10}""");

        assertThat(body.get("choices")).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(body.get("choices").get(i).get("index").intValue()).isEqualTo(i);
            assertThat(body.get("choices").get(i).get("message").get("content").stringValue()).isEqualTo("Hello, world");
        }
        // the prompt is counted once, the completions of all three choices add up
        assertThat(body.get("usage").get("prompt_tokens").intValue()).isEqualTo(7);
        assertThat(body.get("usage").get("completion_tokens").intValue()).isEqualTo(9);
        assertThat(body.get("usage").get("total_tokens").intValue()).isEqualTo(16);
        // one call per choice, each seeded seed + index so the choices differ yet stay reproducible
        assertThat(scheduler.requests).extracting(r -> r.getSampling().getSeed()).contains(10L, 11L, 12L);
    }

    @Test
    void interleavesTheChoicesOfAStreamByIndex() {
        List<JsonNode> events = events(postForStream("/v1/completions", """
                {"model": "tiny", "prompt": "Once", "n": 2, "stream": true, "stream_options": {"include_usage": true}}"""));

        for (int index = 0; index < 2; index++) {
            int i = index;
            var mine = events.stream().filter(e -> !e.get("choices").isEmpty() && e.get("choices").get(0).get("index").intValue() == i).toList();
            assertThat(mine).extracting(e -> e.get("choices").get(0).get("text").stringValue()).containsExactly("Hello", ", ", "world", "");
            assertThat(mine.getLast().get("choices").get(0).get("finish_reason").stringValue()).isEqualTo("stop");
        }
        assertThat(events.getLast().get("usage").get("completion_tokens").intValue()).isEqualTo(6);
    }

    @Test
    void forwardsTheRoutingHeadersToTheScheduler() {
        http.post().uri("/v1/chat/completions")
                .header("x-llm-placement-policy", "energy")
                .header("x-llm-priority", "5")
                .header("x-session-id", "conv-1")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}]}""")
                .exchange()
                .expectStatus().isOk();

        ScheduleGenerateRequest sent = scheduler.lastRequest.get();
        assertThat(sent.getPolicy()).isEqualTo("energy");
        assertThat(sent.getPriority()).isEqualTo(5);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({"x-llm-priority, high", "x-llm-priority, 99999", "x-llm-placement-policy, 'no spaces please'", "x-session-id, '<script>'"})
    void refusesAMalformedRoutingHeaderWith400(String header, String value) {
        http.post().uri("/v1/chat/completions").header(header, value).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}]}""")
                .exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.param").isEqualTo(header);
    }

    @Test
    void reportsTheKeysBudgetOnEveryResponse() {
        http.get().uri("/v1/models").exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("x-ratelimit-limit-requests", "600")
                .expectHeader().exists("x-ratelimit-remaining-requests")
                .expectHeader().exists("x-ratelimit-reset-requests")
                .expectHeader().valueEquals("x-ratelimit-limit-tokens", "1000000");
    }

    @Test
    void mapsAModelWithoutWorkersTo503() {
        JsonNode error = postExpecting("/v1/completions", """
                {"model": "offline", "prompt": "Hi"}""", 503).get("error");

        assertThat(error.get("type").stringValue()).isEqualTo("server_error");
        assertThat(error.get("message").stringValue()).contains("no ready worker");
    }

    @Test
    void timesOutAGenerationWhoseFirstTokenNeverComesWith504() {
        JsonNode error = postExpecting("/v1/chat/completions", """
                {"model": "silent", "messages": [{"role": "user", "content": "Hi"}], "stream": true}""", 504).get("error");

        assertThat(error.get("code").stringValue()).isEqualTo("timeout");
    }

    @Test
    void doesNotTimeOutAStreamThatKeepsGoingPastTheFirstTokenLimit() {
        // "slowpoke" streams for ~3 s, longer than the 1.5 s first-token limit of this test context
        String body = postForStream("/v1/chat/completions", """
                {"model": "slowpoke", "messages": [{"role": "user", "content": "Hi"}], "stream": true}""");

        assertThat(body).endsWith("data: [DONE]\n\n");
    }

    @Test
    void reportsAFailureAfterTheStreamBeganInsideTheStreamWithoutLeakingDetails() {
        String body = postForStream("/v1/chat/completions", """
                {"model": "flaky", "messages": [{"role": "user", "content": "Hi"}], "stream": true}""");

        assertThat(body).doesNotContain("[DONE]").doesNotContain("secret");
        List<JsonNode> events = events(body);
        assertThat(events.getLast().get("error").get("type").stringValue()).isEqualTo("server_error");
        assertThat(events.get(1).get("choices").get(0).get("delta").get("content").stringValue()).isEqualTo("Hel");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            malformed JSON           | {"model": "tiny", "messages": [               |
            not an object            | [1, 2]                                         |
            missing messages         | {"model": "tiny"}                              | messages
            empty messages           | {"model": "tiny", "messages": []}              | messages
            messages of wrong type   | {"model": "tiny", "messages": "hello"}         | messages
            unknown role             | {"model": "tiny", "messages": [{"role": "robot", "content": "x"}]} | messages[0].role
            image content            | {"model": "tiny", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]} | messages[0].content[0].type
            missing model            | {"messages": [{"role": "user", "content": "x"}]} | model
            negative max_tokens      | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "max_tokens": -1} | max_tokens
            fractional max_tokens    | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "max_tokens": 1.5} | max_tokens
            temperature 5            | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "temperature": 5} | temperature
            temperature as string    | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"} | temperature
            top_p 0                  | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "top_p": 0} | top_p
            repetition_penalty 0     | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "repetition_penalty": 0} | repetition_penalty
            repetition_penalty -1    | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "repetition_penalty": -1} | repetition_penalty
            repetition_penalty 2.5   | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "repetition_penalty": 2.5} | repetition_penalty
            repetition_penalty text  | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "repetition_penalty": "1.2"} | repetition_penalty
            ignore_eos as string     | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "ignore_eos": "yes"} | ignore_eos
            n 0                      | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "n": 0} | n
            n 17                     | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "n": 17} | n
            n as string              | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "n": "2"} | n
            five stop sequences      | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "stop": ["a","b","c","d","e"]} | stop
            stream as string         | {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "stream": "yes"} | stream
            """)
    void refusesABadChatRequestWith400NamingTheField(String what, String body, String param) {
        JsonNode error = postExpecting("/v1/chat/completions", body, 400).get("error");

        assertThat(error.get("type").stringValue()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").stringValue()).isNotBlank();
        if (param == null) {
            assertThat(error.get("param").isNull()).isTrue();
        } else {
            assertThat(error.get("param").stringValue()).isEqualTo(param);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            two prompts     | {"model": "tiny", "prompt": ["a", "b"]}           | prompt
            two token prompts         | {"model": "tiny", "prompt": [[1, 2], [3]]}    | prompt
            empty token prompt        | {"model": "tiny", "prompt": [[]]}             | prompt
            negative token id         | {"model": "tiny", "prompt": [1, -2]}          | prompt
            fractional token id       | {"model": "tiny", "prompt": [1, 2.5]}         | prompt
            token id over int range   | {"model": "tiny", "prompt": [1, 4294967296]}  | prompt
            token ids mixed with text | {"model": "tiny", "prompt": [1, "a"]}         | prompt
            echo            | {"model": "tiny", "prompt": "a", "echo": true}    | echo
            zero max_tokens | {"model": "tiny", "prompt": "a", "max_tokens": 0} | max_tokens
            zero repetition_penalty  | {"model": "tiny", "prompt": "a", "repetition_penalty": 0}   | repetition_penalty
            repetition_penalty 3     | {"model": "tiny", "prompt": "a", "repetition_penalty": 3}   | repetition_penalty
            """)
    void refusesABadLegacyCompletionWith400NamingTheField(String what, String body, String param) {
        JsonNode error = postExpecting("/v1/completions", body, 400).get("error");

        assertThat(error.get("param").stringValue()).isEqualTo(param);
    }

    @Test
    void refusesABodyOverTheLimitWith413() {
        String big = "x".repeat(1024 * 1024 + 1);
        JsonNode error = postExpecting("/v1/chat/completions",
                "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"" + big + "\"}]}", 413).get("error");

        assertThat(error.get("type").stringValue()).isEqualTo("invalid_request_error");
    }

    @Test
    void refusesAChunkedBodyOverTheLimitWith413() {
        // no Content-Length up front: the limit must hold while the body is read
        var part = DefaultDataBufferFactory.sharedInstance.wrap(new byte[600 * 1024]);
        var another = DefaultDataBufferFactory.sharedInstance.wrap(new byte[600 * 1024]);
        http.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .body(BodyInserters.fromDataBuffers(Flux.just(part, another)))
                .exchange()
                .expectStatus().isEqualTo(413)
                .expectBody().jsonPath("$.error.code").isEqualTo("request_too_large");
    }

    @Test
    void answersFrameworkErrorsInTheOpenAiFormat() {
        http.get().uri("/v1/nothing-here").exchange()
                .expectStatus().isNotFound()
                .expectBody().jsonPath("$.error.type").isEqualTo("invalid_request_error")
                .jsonPath("$.error.message").isEqualTo("Invalid URL (GET /v1/nothing-here)");
        http.get().uri("/v1/chat/completions").exchange()
                .expectStatus().isEqualTo(405)
                .expectHeader().valueEquals(HttpHeaders.ALLOW, "POST")
                .expectBody().jsonPath("$.error.type").isEqualTo("invalid_request_error");
        http.post().uri("/v1/chat/completions").contentType(MediaType.TEXT_PLAIN).bodyValue("hello").exchange()
                .expectStatus().isEqualTo(415)
                .expectBody().jsonPath("$.error.type").isEqualTo("invalid_request_error");
    }

    @Test
    void generatesARequestIdWhenTheClientSentNone() {
        http.get().uri("/v1/models").exchange()
                .expectStatus().isOk()
                .expectHeader().value("x-request-id", id -> assertThat(id).startsWith("req-"));
        assertThat(scheduler.lastRequestIdHeader.get()).startsWith("req-");
    }

    @org.springframework.boot.test.web.server.LocalManagementPort
    int managementPort;

    @Test
    void leavesActuatorOpenForProbesOnTheManagementPort() {
        WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + managementPort).build()
                .get().uri("/actuator/health/liveness").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UP");
    }

    @Test
    void cancelsTheGenerationWhenTheClientGoesAway() throws InterruptedException {
        var body = http.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"model": "endless", "messages": [{"role": "user", "content": "Sing"}], "stream": true}""")
                .exchange()
                .expectStatus().isOk()
                .returnResult(byte[].class)
                .getResponseBody();

        StepVerifier.create(body)
                .expectNextMatches(bytes -> new String(bytes, StandardCharsets.UTF_8).startsWith("data: {"))
                .thenCancel()
                .verify(Duration.ofSeconds(10));

        assertThat(scheduler.endlessCancelled.await(10, TimeUnit.SECONDS))
                .as("the scheduler saw the gRPC call cancelled").isTrue();
    }

    @Test
    void cancelsTheGenerationWhenTheClientDropsItsConnection() throws Exception {
        int cancelledBefore = scheduler.endlessCancellations.get();
        try (var socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            String body = "{\"model\": \"endless\", \"prompt\": \"Sing\", \"stream\": true}";
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + DEV_KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            var reader = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            for (String line = reader.readLine(); line != null && !line.contains("data: "); line = reader.readLine()) {
                // headers, then the first event
            }
        } // the socket closes mid-stream

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(scheduler.endlessCancellations.get()).as("gRPC calls the scheduler saw cancelled")
                        .isGreaterThan(cancelledBefore));
    }

    private JsonNode postJson(String uri, String body) {
        return postExpecting(uri, body, 200);
    }

    private JsonNode postExpecting(String uri, String body, int status) {
        byte[] response = http.post().uri(uri).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange()
                .expectStatus().isEqualTo(status)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody(byte[].class).returnResult().getResponseBody();
        return json.readTree(response);
    }

    private JsonNode getJson(String uri, int status) {
        byte[] response = http.get().uri(uri).exchange()
                .expectStatus().isEqualTo(status)
                .expectBody(byte[].class).returnResult().getResponseBody();
        return json.readTree(response);
    }

    private String postForStream(String uri, String body) {
        byte[] response = http.post().uri(uri).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .expectBody(byte[].class).returnResult().getResponseBody();
        return new String(response, StandardCharsets.UTF_8);
    }

    /** Every event but [DONE], after checking each is framed exactly "data: ...\n\n". */
    private List<JsonNode> events(String body) {
        assertThat(body).endsWith("\n\n");
        return Arrays.stream(body.split("\n\n"))
                .peek(event -> assertThat(event).startsWith("data: ").doesNotContain("\n"))
                .map(event -> event.substring("data: ".length()))
                .filter(data -> !data.equals("[DONE]"))
                .map(json::readTree)
                .toList();
    }
}
