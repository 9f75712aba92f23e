package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import dev.llmplatform.commons.gguf.GgufMetadata;
import dev.llmplatform.launcher.LocalPlatform;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole chain — gateway → scheduler → tokenizer → CPU worker, each its own process, gRPC over loopback —
 * against the same model called directly through llama.cpp: greedy decoding must give exactly the same tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class EndToEndCompletionTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String CHAT_QUESTION = "Recite Genesis 1:1";
    /** The model's chat template (ChatML, stored in its GGUF metadata) written out by hand, as the reference. */
    private static final String CHAT_PROMPT = "<|im_start|>user\n" + CHAT_QUESTION + "<|im_end|>\n<|im_start|>assistant\n";
    private static final int MAX_TOKENS = 40;

    private LocalPlatform platform;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-e2e-" + System.nanoTime()).start();
    }

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    /**
     * The platform of these tests runs each service with the command line that the launcher of ./platform up builds
     * (PlatformScriptTest checks the same of ./platform's processes): one launcher, C2 and the jar's AOT cache.
     */
    @Test
    void everyServiceRunsWithTheLaunchersCommandLine() throws Exception {
        for (String name : List.of("model-registry", "tokenizer-service", "inference-cpu-service", "scheduler-service", "gateway")) {
            long pid = platform.service(name).process().pid();
            List<String> commandLine = List.of(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));

            assertThat(commandLine).as(name).isEqualTo(platform.launcher().command(platform.launchOf(name)));
            assertThat(commandLine).as(name).anyMatch(option -> option.startsWith("-XX:AOTCache="));
        }
    }

    @Test
    void greedyChatCompletionIsExactlyWhatTheEngineGeneratesDirectly() throws Exception {
        Direct direct = generateDirectly(CHAT_PROMPT, MAX_TOKENS);

        JsonNode response = post("/v1/chat/completions", """
                {"model": "%s", "temperature": 0, "max_tokens": %d,
                 "messages": [{"role": "user", "content": "%s"}]}""".formatted(LocalPlatform.MODEL, MAX_TOKENS, CHAT_QUESTION));

        assertThat(direct.text()).isNotBlank();
        assertThat(response.at("/object").asString()).isEqualTo("chat.completion");
        assertThat(response.at("/choices/0/message/role").asString()).isEqualTo("assistant");
        assertThat(response.at("/choices/0/message/content").asString()).isEqualTo(direct.text());
        assertThat(response.at("/usage/completion_tokens").asInt()).isEqualTo(direct.tokens());
        assertThat(response.at("/usage/prompt_tokens").asInt()).isEqualTo(direct.promptTokens());
        assertThat(response.at("/choices/0/finish_reason").asString())
                .isEqualTo(direct.tokens() >= MAX_TOKENS ? "length" : "stop");
    }

    @Test
    void streamedGreedyChatCompletionCarriesTheSameTokensAndEndsWithDone() throws Exception {
        Direct direct = generateDirectly(CHAT_PROMPT, MAX_TOKENS);

        List<String> events = stream("/v1/chat/completions", """
                {"model": "%s", "temperature": 0, "max_tokens": %d, "stream": true,
                 "stream_options": {"include_usage": true},
                 "messages": [{"role": "user", "content": "%s"}]}""".formatted(LocalPlatform.MODEL, MAX_TOKENS, CHAT_QUESTION));

        assertThat(events).last().isEqualTo("[DONE]");
        var text = new StringBuilder();
        String finishReason = null;
        JsonNode usage = null;
        for (String event : events.subList(0, events.size() - 1)) {
            JsonNode chunk = JSON.readTree(event);
            assertThat(chunk.at("/object").asString()).isEqualTo("chat.completion.chunk");
            if (chunk.at("/choices").isEmpty()) {
                usage = chunk.at("/usage");
                continue;
            }
            text.append(chunk.at("/choices/0/delta/content").asString(""));
            if (!chunk.at("/choices/0/finish_reason").isNull() && !chunk.at("/choices/0/finish_reason").isMissingNode()) {
                finishReason = chunk.at("/choices/0/finish_reason").asString();
            }
        }
        assertThat(text).hasToString(direct.text());
        assertThat(finishReason).isIn("stop", "length");
        assertThat(usage).isNotNull();
        assertThat(usage.at("/completion_tokens").asInt()).isEqualTo(direct.tokens());
    }

    @Test
    void greedyLegacyCompletionContinuesTheRawPromptLikeTheEngine() throws Exception {
        String prompt = "In the beginning";
        Direct direct = generateDirectly(prompt, 24);

        JsonNode response = post("/v1/completions", """
                {"model": "%s", "prompt": "%s", "temperature": 0, "max_tokens": 24}""".formatted(LocalPlatform.MODEL, prompt));

        assertThat(response.at("/object").asString()).isEqualTo("text_completion");
        assertThat(response.at("/choices/0/text").asString()).isEqualTo(direct.text());
        assertThat(response.at("/usage/completion_tokens").asInt()).isEqualTo(direct.tokens());
    }

    /**
     * OpenAI's token-id prompt goes to the worker as it is, past the tokenizer: the ids the tokenizer makes of a text
     * (llama.cpp's, after BOS where the model adds it) are continued exactly as the text is. An id outside the
     * vocabulary is a 400 that says so.
     */
    @Test
    void aPromptGivenAsTheTokenIdsOfItsTextIsContinuedExactlyAsTheText() throws Exception {
        String prompt = "In the beginning";
        String request = """
                {"model": "%s", "prompt": %s, "temperature": 0, "max_tokens": 24}""";
        JsonNode asText = post("/v1/completions", request.formatted(LocalPlatform.MODEL, "\"" + prompt + "\""));
        List<Integer> ids = new ArrayList<>();
        try (var model = new LlamaModel(new ModelParameters().setModel(platform.modelFile().toString()).setCtxSize(256))) {
            for (int id : model.encode(prompt)) {
                ids.add(id);
            }
        }
        if (asText.at("/usage/prompt_tokens").asInt() == ids.size() + 1) {
            ids.addFirst(GgufMetadata.read(platform.modelFile()).integer("tokenizer.ggml.bos_token_id").orElseThrow().intValue());
        }

        JsonNode asTokens = post("/v1/completions", request.formatted(LocalPlatform.MODEL, ids.toString()));

        assertThat(asTokens.at("/choices/0/text").asString()).isEqualTo(asText.at("/choices/0/text").asString()).isNotBlank();
        assertThat(asTokens.at("/usage/prompt_tokens").asInt()).isEqualTo(ids.size()).isEqualTo(asText.at("/usage/prompt_tokens").asInt());
        var outside = send("/v1/completions", request.formatted(LocalPlatform.MODEL, "[1, 100000000]"));
        assertError(outside, 400);
        assertThat(JSON.readTree(outside.body()).at("/error/message").asString()).contains("vocabulary");
    }

    /**
     * repetition_penalty (vLLM's extension) goes through gateway and scheduler to the worker's sampler: on a prompt
     * the model answers greedily with a loop, 1.5 gives another, less repetitive text; 0 is a 400 naming the field.
     */
    @Test
    void aRepetitionPenaltyReachesTheWorkerAndBreaksAGreedyLoop() throws Exception {
        String prompt = "and the LORD said unto Moses, and the LORD said unto Moses, and the LORD said unto";
        String request = """
                {"model": "%s", "prompt": "%s", "temperature": 0, "max_tokens": 64%s}""";

        String free = post("/v1/completions", request.formatted(LocalPlatform.MODEL, prompt, ""))
                .at("/choices/0/text").asString();
        String penalized = post("/v1/completions", request.formatted(LocalPlatform.MODEL, prompt, ", \"repetition_penalty\": 1.5"))
                .at("/choices/0/text").asString();
        var refused = send("/v1/chat/completions", """
                {"model": "%s", "repetition_penalty": 0, "messages": [{"role": "user", "content": "hi"}]}""".formatted(LocalPlatform.MODEL));

        assertThat(penalized).isNotEqualTo(free);
        assertThat(repeatedWords(penalized)).as("'%s' against '%s'", penalized, free).isLessThan(repeatedWords(free));
        assertError(refused, 400);
        assertThat(JSON.readTree(refused.body()).at("/error/param").asString()).isEqualTo("repetition_penalty");
    }

    /** Words of the text that came earlier in it. */
    private static long repeatedWords(String text) {
        var seen = new java.util.HashSet<String>();
        return java.util.Arrays.stream(text.split("\\W+")).filter(word -> !word.isEmpty() && !seen.add(word)).count();
    }

    @Test
    void listsTheServedModel() throws Exception {
        var response = http.send(authorized(platform.gateway("/v1/models")).GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode models = JSON.readTree(response.body());
        assertThat(models.at("/object").asString()).isEqualTo("list");
        assertThat(models.at("/data/0/id").asString()).isEqualTo(LocalPlatform.MODEL);
    }

    @Test
    void badInputGetsOpenAiStyleErrors() throws Exception {
        assertError(send("/v1/chat/completions", "{\"model\": \"tiny-kjv-chat\", \"messages\": ["), 400);
        assertError(send("/v1/chat/completions", "{\"model\": \"tiny-kjv-chat\"}"), 400);
        assertError(send("/v1/chat/completions", """
                {"model": "tiny-kjv-chat", "max_tokens": -5, "messages": [{"role": "user", "content": "hi"}]}"""), 400);
        var unknownModel = send("/v1/chat/completions", """
                {"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}""");
        assertError(unknownModel, 404);
        assertThat(JSON.readTree(unknownModel.body()).at("/error/code").asString()).isEqualTo("model_not_found");
        var tooLong = send("/v1/completions", """
                {"model": "tiny-kjv-chat", "prompt": "%s", "max_tokens": 10}""".formatted("and it was so ".repeat(400)));
        assertError(tooLong, 400);
        assertThat(JSON.readTree(tooLong.body()).at("/error/message").asString()).contains("maximum context length");
    }

    @Test
    void aClientThatDisconnectsStopsGenerationOnTheWorker() throws Exception {
        double cancelledBefore = workerCounter("worker_generations_total", "outcome=\"cancelled\"");
        // ignore_eos: the tiny model may end a verse with EOS in a few tokens, before the cancel could reach the worker
        String body = "{\"model\": \"" + LocalPlatform.MODEL + "\", \"prompt\": \"And God said\", \"max_tokens\": 480,"
                + " \"ignore_eos\": true, \"stream\": true}";
        var response = http.send(authorized(platform.gateway("/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            assertThat(reader.readLine()).startsWith("data: ");
        } // closing the body drops the connection mid-stream

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        double cancelled = cancelledBefore;
        while (cancelled <= cancelledBefore && System.nanoTime() < deadline) {
            Thread.sleep(200);
            cancelled = workerCounter("worker_generations_total", "outcome=\"cancelled\"");
        }
        assertThat(cancelled).as("generations the worker stopped because the caller left").isGreaterThan(cancelledBefore);
    }

    /** Sum of a counter on the worker's /actuator/prometheus over the series that carry {@code labelMatch}. */
    private double workerCounter(String name, String labelMatch) throws Exception {
        var worker = platform.service("inference-cpu-service");
        String metrics = http.send(HttpRequest.newBuilder(worker.actuator("prometheus"))
                .GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith(name + "{") && l.contains(labelMatch))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void rejectsRequestsWithoutTheApiKey() throws Exception {
        var response = http.send(HttpRequest.newBuilder(platform.gateway("/v1/models")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(response, 401);
    }

    private static void assertError(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.at("/error/message").asString()).isNotBlank();
        assertThat(body.at("/error/type").isMissingNode()).isFalse();
    }

    private JsonNode post(String path, String body) throws Exception {
        var response = send(path, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> send(String path, String body) throws Exception {
        return http.send(authorized(platform.gateway(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The data of each SSE event, in order. */
    private List<String> stream(String path, String body) throws Exception {
        var response = http.send(authorized(platform.gateway(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<String> events = new ArrayList<>();
        try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    events.add(line.substring("data: ".length()));
                }
            }
        }
        return events;
    }

    private HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2)).header("Authorization", "Bearer " + platform.apiKey());
    }

    record Direct(String text, int tokens, int promptTokens) {
    }

    /** The reference: llama.cpp on the same file, same slot layout as the worker, text prompt tokenized by itself. */
    private Direct generateDirectly(String prompt, int maxTokens) {
        try (var model = new LlamaModel(new ModelParameters()
                .setModel(platform.modelFile().toString())
                .setThreads(2)
                .setParallel(2)
                .setCtxSize(2 * 512))) {
            var text = new StringBuilder();
            int results = 0;
            for (LlamaOutput output : model.generate(new InferenceParameters(prompt)
                    .setTemperature(0).setNPredict(maxTokens).setTopK(0).setMinP(0).setTopP(1).setRepeatPenalty(1))) {
                text.append(output.text);
                results++;
            }
            // llama.cpp streams one result per sampled token and a closing result without a token
            return new Direct(text.toString(), results - 1, model.encode(prompt).length);
        }
    }
}
