package dev.llmplatform.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The platform's front door: POST /v1/chat/completions with stream=true, the response read as server-sent events.
 * Any OpenAI-compatible server is measured the same way (llama.cpp's llama-server as the reference).
 */
public final class GatewayTarget implements Target {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String name;
    private final HttpClient http;
    private final URI chatCompletions;
    private final String apiKey;
    private final String model;
    private final Duration requestTimeout;

    public GatewayTarget(URI baseUrl, String apiKey, String model, Duration requestTimeout) {
        this("gateway", baseUrl, apiKey, model, requestTimeout);
    }

    public GatewayTarget(String name, URI baseUrl, String apiKey, String model, Duration requestTimeout) {
        this.name = name;
        this.chatCompletions = baseUrl.resolve("/v1/chat/completions");
        this.apiKey = apiKey;
        this.model = model;
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Override
    public String name() {
        return name;
    }

    String body(BenchPrompt prompt, Sampling sampling) {
        ObjectNode body = JSON.createObjectNode()
                .put("model", model)
                .put("stream", true)
                .put("max_tokens", sampling.maxTokens())
                .put("temperature", sampling.temperature());
        body.putObject("stream_options").put("include_usage", true);
        body.putArray("messages").addObject().put("role", "user").put("content", prompt.userText());
        sampling.seed().ifPresent(seed -> body.put("seed", seed));
        if (sampling.ignoreEos()) {
            body.put("ignore_eos", true);
        }
        return JSON.writeValueAsString(body);
    }

    @Override
    public RequestRecord generate(BenchPrompt prompt, Sampling sampling) {
        var request = HttpRequest.newBuilder(chatCompletions)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(body(prompt, sampling)))
                .build();
        var timer = new RequestTimer(prompt);
        try {
            HttpResponse<InputStream> response = send(request);
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    return timer.fail("HTTP " + response.statusCode() + ": " + new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
                var stream = new StreamState();
                SseEvents.read(in, data -> stream.accept(data, timer));
                if (stream.error != null) {
                    return timer.fail(stream.error);
                }
                if (!stream.done) {
                    return timer.fail("the stream ended without [DONE]");
                }
                return timer.finish(stream.completionTokens);
            }
        } catch (IOException e) {
            return timer.fail(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return timer.fail("interrupted");
        }
    }

    /**
     * A server may close a kept-alive connection between two requests (llama-server's HTTP library does after a few
     * requests on one connection); a request that got no byte back on such a connection is sent once more.
     */
    private HttpResponse<InputStream> send(HttpRequest request) throws IOException, InterruptedException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("received no bytes")) {
                return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            }
            throw e;
        }
    }

    /** One response's events: content chunks count as tokens; the usage chunk gives the exact count. */
    private static final class StreamState {
        boolean done;
        String error;
        int completionTokens;

        void accept(String data, RequestTimer timer) {
            if (data.equals("[DONE]")) {
                done = true;
                return;
            }
            JsonNode chunk = JSON.readTree(data);
            if (chunk.has("error")) {
                error = "stream error: " + chunk.get("error");
                return;
            }
            JsonNode usage = chunk.get("usage");
            if (usage != null && !usage.isNull()) {
                completionTokens = usage.path("completion_tokens").asInt(0);
            }
            JsonNode choices = chunk.path("choices");
            if (!choices.isEmpty()) {
                String content = choices.get(0).path("delta").path("content").asString("");
                if (!content.isEmpty()) {
                    // OpenAI chunks do not say how many tokens they carry; the worker sends one per token
                    timer.tokens(1);
                }
            }
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
