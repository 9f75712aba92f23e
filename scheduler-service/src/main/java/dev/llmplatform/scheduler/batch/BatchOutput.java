package dev.llmplatform.scheduler.batch;

import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.ScheduleEmbedResponse;
import dev.llmplatform.proto.v1.Usage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import tools.jackson.databind.json.JsonMapper;

/**
 * The lines of a batch's output and error files, in OpenAI's shape:
 * {@code {"id":"batch_req_...","custom_id":...,"response":{"status_code":200,"request_id":...,"body":{...}},"error":null}}.
 * The body is the minimal OpenAI response of the line's endpoint (chat.completion, text_completion, an embedding
 * list): the interactive shapes, with all their options, stay the gateway's; a batch line has no streaming, tools,
 * logprobs or n.
 */
public final class BatchOutput {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private BatchOutput() {
    }

    /** @param text the whole generated text; usage and finish from the last chunk */
    public static String generation(BatchLine line, String requestId, String text, FinishReason finish, Usage usage, long created) {
        var body = new LinkedHashMap<String, Object>();
        var choice = new LinkedHashMap<String, Object>();
        if (line instanceof BatchLine.Chat chat) {
            body.put("id", "chatcmpl-" + id());
            body.put("object", "chat.completion");
            body.put("created", created);
            body.put("model", chat.model());
            choice.put("index", 0);
            var message = new LinkedHashMap<String, Object>();
            message.put("role", "assistant");
            message.put("content", text);
            message.put("refusal", null);
            choice.put("message", message);
            choice.put("logprobs", null);
            choice.put("finish_reason", finish(finish));
        } else if (line instanceof BatchLine.Completion completion) {
            body.put("id", "cmpl-" + id());
            body.put("object", "text_completion");
            body.put("created", created);
            body.put("model", completion.model());
            choice.put("text", text);
            choice.put("index", 0);
            choice.put("logprobs", null);
            choice.put("finish_reason", finish(finish));
        } else {
            throw new IllegalArgumentException("not a generation: " + line);
        }
        body.put("choices", List.of(choice));
        body.put("usage", Map.of("prompt_tokens", usage.getPromptTokens(), "completion_tokens", usage.getCompletionTokens(),
                "total_tokens", usage.getTotalTokens()));
        return success(line, requestId, body);
    }

    public static String embeddings(BatchLine.Embeddings line, String requestId, ScheduleEmbedResponse response) {
        var data = new java.util.ArrayList<Map<String, Object>>();
        for (int i = 0; i < response.getEmbeddingsCount(); i++) {
            var item = new LinkedHashMap<String, Object>();
            item.put("object", "embedding");
            item.put("index", i);
            item.put("embedding", response.getEmbeddings(i).getValuesList());
            data.add(item);
        }
        var body = new LinkedHashMap<String, Object>();
        body.put("object", "list");
        body.put("data", data);
        body.put("model", line.model());
        body.put("usage", Map.of("prompt_tokens", response.getPromptTokens(), "total_tokens", response.getPromptTokens()));
        return success(line, requestId, body);
    }

    /** A request the scheduler refused (unknown model, prompt too long): its HTTP status and OpenAI error body. */
    public static String refused(BatchLine line, String requestId, int statusCode, String type, String code, String message) {
        var error = new LinkedHashMap<String, Object>();
        error.put("message", message);
        error.put("type", type);
        error.put("param", null);
        error.put("code", code);
        var response = new LinkedHashMap<String, Object>();
        response.put("status_code", statusCode);
        response.put("request_id", requestId);
        response.put("body", Map.of("error", error));
        return line(line.customId(), response, null);
    }

    /** A line that could not be read as a request. */
    public static String malformed(BatchLine.Malformed line) {
        var error = new LinkedHashMap<String, Object>();
        error.put("code", line.code());
        error.put("message", line.message());
        return line(line.customId().isEmpty() ? null : line.customId(), null, error);
    }

    private static String success(BatchLine line, String requestId, Map<String, Object> body) {
        var response = new LinkedHashMap<String, Object>();
        response.put("status_code", 200);
        response.put("request_id", requestId);
        response.put("body", body);
        return line(line.customId(), response, null);
    }

    private static String line(String customId, Object response, Object error) {
        var line = new LinkedHashMap<String, Object>();
        line.put("id", "batch_req_" + id());
        line.put("custom_id", customId);
        line.put("response", response);
        line.put("error", error);
        return JSON.writeValueAsString(line);
    }

    private static String finish(FinishReason finish) {
        return finish == FinishReason.FINISH_REASON_LENGTH ? "length" : "stop";
    }

    private static String id() {
        return UUID.randomUUID().toString().replace("-", "");
    }
}
