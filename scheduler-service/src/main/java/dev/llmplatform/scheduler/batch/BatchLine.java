package dev.llmplatform.scheduler.batch;

import dev.llmplatform.proto.v1.ChatMessage;
import dev.llmplatform.proto.v1.ChatMessages;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.ScheduleEmbedRequest;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One line of a batch input file, read: a request the scheduler can run, or why it cannot (the line then becomes an
 * entry of the error file, as at OpenAI). The request fields a batch line may use are the common ones: model,
 * messages (text content) or prompt or input, max_tokens / max_completion_tokens, temperature, top_p, seed, stop.
 */
public sealed interface BatchLine {

    /** 0-based among the file's non-blank lines, which is how the registry keys each line's result. */
    int index();

    String customId();

    /** The request id the line runs under (its batch and index), empty for a line that does not run. */
    default String requestId() {
        return switch (this) {
            case Chat chat -> chat.request().getRequestId();
            case Completion completion -> completion.request().getRequestId();
            case Embeddings embeddings -> embeddings.request().getRequestId();
            case Malformed malformed -> "";
        };
    }

    /** The line placed on the worker its batch's plan dealt it to; a line that does not generate stays as it is. */
    default BatchLine plannedOn(String workerId) {
        return switch (this) {
            case Chat chat -> new Chat(chat.index(), chat.customId(), chat.model(),
                    chat.request().toBuilder().setPlannedWorkerId(workerId).build());
            case Completion completion -> new Completion(completion.index(), completion.customId(), completion.model(),
                    completion.request().toBuilder().setPlannedWorkerId(workerId).build());
            case Embeddings embeddings -> embeddings;
            case Malformed malformed -> malformed;
        };
    }

    /**
     * What planning needs to know of a line that generates: its prompt's size (about four characters a token, as
     * placement reads embeddings) and its max_tokens (0: not set). Empty for other lines.
     */
    default java.util.Optional<Size> size() {
        ScheduleGenerateRequest request = switch (this) {
            case Chat chat -> chat.request();
            case Completion completion -> completion.request();
            default -> null;
        };
        if (request == null) {
            return java.util.Optional.empty();
        }
        long characters = switch (request.getInputCase()) {
            case MESSAGES -> request.getMessages().getMessagesList().stream().mapToLong(m -> m.getContent().length() + 16).sum();
            case PROMPT_TOKEN_IDS -> request.getPromptTokenIds().getIdsCount() * 4L;
            default -> request.getPrompt().length();
        };
        return java.util.Optional.of(new Size(request.getModel(), characters / 4.0, request.getSampling().getMaxTokens()));
    }

    /** @param promptTokens an estimate; @param maxTokens 0 when the line sets none */
    record Size(String model, double promptTokens, int maxTokens) {
    }

    record Chat(int index, String customId, String model, ScheduleGenerateRequest request) implements BatchLine {
    }

    record Completion(int index, String customId, String model, ScheduleGenerateRequest request) implements BatchLine {
    }

    record Embeddings(int index, String customId, String model, ScheduleEmbedRequest request) implements BatchLine {
    }

    /** @param customId the line's custom_id when it could be read, else empty */
    record Malformed(int index, String customId, String code, String message) implements BatchLine {
    }

    JsonMapper JSON = JsonMapper.builder().build();

    /**
     * @param endpoint the batch's endpoint: every line's url must be it
     * @param priority the admission priority the line's request runs at
     */
    static BatchLine parse(int index, String text, String endpoint, int priority, String requestId) {
        JsonNode line;
        try {
            line = JSON.readTree(text);
        } catch (JacksonException e) {
            return new Malformed(index, "", "invalid_json", "Line " + (index + 1) + " is not valid JSON.");
        }
        if (line == null || !line.isObject()) {
            return new Malformed(index, "", "invalid_json", "Line " + (index + 1) + " is not a JSON object.");
        }
        JsonNode customIdNode = line.get("custom_id");
        String customId = customIdNode != null && customIdNode.isString() ? customIdNode.asString() : "";
        try {
            if (customId.isEmpty()) {
                throw new Invalid("missing_required_parameter", "custom_id is required and must be a string.");
            }
            if (!"POST".equals(string(line, "method", ""))) {
                throw new Invalid("invalid_method", "method must be POST.");
            }
            String url = string(line, "url", "");
            if (!url.equals(endpoint)) {
                throw new Invalid("mismatched_url", "url '" + url + "' is not the batch's endpoint " + endpoint + ".");
            }
            JsonNode body = line.get("body");
            if (body == null || !body.isObject()) {
                throw new Invalid("missing_required_parameter", "body is required and must be an object.");
            }
            String model = string(body, "model", "");
            if (model.isEmpty()) {
                throw new Invalid("missing_required_parameter", "body.model is required.");
            }
            return switch (endpoint) {
                case "/v1/chat/completions" -> new Chat(index, customId, model, ScheduleGenerateRequest.newBuilder()
                        .setRequestId(requestId).setModel(model).setPriority(priority)
                        .setMessages(messages(body)).setSampling(sampling(body)).build());
                case "/v1/completions" -> new Completion(index, customId, model, ScheduleGenerateRequest.newBuilder()
                        .setRequestId(requestId).setModel(model).setPriority(priority)
                        .setPrompt(prompt(body)).setSampling(sampling(body)).build());
                case "/v1/embeddings" -> new Embeddings(index, customId, model, ScheduleEmbedRequest.newBuilder()
                        .setRequestId(requestId).setModel(model).addAllInputs(inputs(body)).build());
                default -> throw new Invalid("invalid_url", "endpoint " + endpoint + " is not supported.");
            };
        } catch (Invalid e) {
            return new Malformed(index, customId, e.code, e.getMessage());
        }
    }

    private static ChatMessages messages(JsonNode body) {
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new Invalid("invalid_value", "body.messages must be a non-empty array.");
        }
        var out = ChatMessages.newBuilder();
        for (JsonNode message : messages) {
            String role = string(message, "role", "");
            if (role.isEmpty()) {
                throw new Invalid("invalid_value", "each message needs a role.");
            }
            out.addMessages(ChatMessage.newBuilder().setRole("developer".equals(role) ? "system" : role)
                    .setContent(content(message.get("content"))).setName(string(message, "name", "")));
        }
        return out.build();
    }

    private static String content(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isString()) {
            return content.asString();
        }
        if (content.isArray()) {
            List<String> texts = new ArrayList<>();
            for (JsonNode part : content) {
                if (!"text".equals(string(part, "type", ""))) {
                    throw new Invalid("invalid_value", "only text content parts are supported in a batch.");
                }
                texts.add(string(part, "text", ""));
            }
            return String.join("\n", texts);
        }
        throw new Invalid("invalid_value", "message content must be a string or an array of text parts.");
    }

    private static String prompt(JsonNode body) {
        JsonNode prompt = body.get("prompt");
        if (prompt == null || !prompt.isString()) {
            throw new Invalid("invalid_value", "body.prompt must be a string.");
        }
        return prompt.asString();
    }

    private static List<String> inputs(JsonNode body) {
        JsonNode input = body.get("input");
        if (input != null && input.isString()) {
            return List.of(input.asString());
        }
        if (input != null && input.isArray() && !input.isEmpty()) {
            List<String> inputs = new ArrayList<>();
            for (JsonNode each : input) {
                if (!each.isString()) {
                    throw new Invalid("invalid_value", "body.input must be a string or an array of strings.");
                }
                inputs.add(each.asString());
            }
            return inputs;
        }
        throw new Invalid("invalid_value", "body.input must be a string or an array of strings.");
    }

    private static SamplingParams sampling(JsonNode body) {
        var sampling = SamplingParams.newBuilder()
                .setTemperature((float) number(body, "temperature", 1.0, 0, 2))
                .setTopP((float) number(body, "top_p", 1.0, 0, 1));
        JsonNode maxTokens = body.has("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
        if (maxTokens != null && !maxTokens.isNull()) {
            if (!maxTokens.isIntegralNumber() || maxTokens.asInt() < 1) {
                throw new Invalid("invalid_value", "max_tokens must be a positive integer.");
            }
            sampling.setMaxTokens(maxTokens.asInt());
        }
        JsonNode seed = body.get("seed");
        if (seed != null && seed.isIntegralNumber()) {
            sampling.setSeed(seed.asLong());
        }
        JsonNode stop = body.get("stop");
        if (stop != null && stop.isString()) {
            sampling.addStop(stop.asString());
        } else if (stop != null && stop.isArray()) {
            stop.forEach(s -> sampling.addStop(s.asString()));
        }
        return sampling.build();
    }

    private static double number(JsonNode body, String field, double fallback, double min, double max) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isNumber() || value.asDouble() < min || value.asDouble() > max) {
            throw new Invalid("invalid_value", field + " must be a number between " + min + " and " + max + ".");
        }
        return value.asDouble();
    }

    private static String string(JsonNode node, String field, String fallback) {
        JsonNode value = node.get(field);
        return value != null && value.isString() ? value.asString() : fallback;
    }

    /** Why a line cannot run. */
    final class Invalid extends RuntimeException {
        final String code;

        Invalid(String code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }
}
