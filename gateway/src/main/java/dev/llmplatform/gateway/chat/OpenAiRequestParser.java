package dev.llmplatform.gateway.chat;

import dev.llmplatform.gateway.config.GatewayProperties.Limits;
import dev.llmplatform.gateway.domain.GenerationRequest;
import dev.llmplatform.gateway.domain.GenerationRequest.ChatMessage;
import dev.llmplatform.gateway.domain.RoutingHints;
import dev.llmplatform.gateway.domain.Sampling;
import dev.llmplatform.gateway.domain.OutputForm;
import dev.llmplatform.gateway.errors.ApiException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Checks an OpenAI request body field by field and turns it into a {@link ParsedRequest}. Every refusal
 * is a 400 that names the field ({@code param}), as OpenAI's own are. A JSON null counts as absent, since
 * client libraries send explicit nulls for parameters left unset. Structured output and tools are read by
 * {@link StructuredOutput}; the legacy functions and function_call are ignored, their size limited all the same. Cost limits ({@link Limits}: messages, prompt characters,
 * schema bytes) are checked before a request is built, so an absurd request costs the backend nothing.
 */
final class OpenAiRequestParser {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool", "developer");
    private static final int MAX_STOP_SEQUENCES = 4;
    private static final int MAX_LOGIT_BIASES = 300;
    private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();
    private static final int LEGACY_DEFAULT_MAX_TOKENS = 16; // OpenAI's default for /v1/completions
    /** Fields the platform ignores, but whose size still costs parsing and memory. */
    private static final List<String> SCHEMA_FIELDS = List.of("tools", "functions", "tool_choice", "response_format");

    private OpenAiRequestParser() {
    }

    /** A checked request: what to generate, how, and how to answer. */
    record ParsedRequest(String model, GenerationRequest.Input input, Sampling sampling, int n, boolean stream,
                         boolean includeUsage, OutputForm form) {

        /**
         * The generation of choice {@code index}. With n > 1 each choice is its own scheduler call; a seeded
         * request seeds choice i with seed + i, so the choices differ and the whole answer stays reproducible.
         */
        GenerationRequest toGeneration(String requestId, RoutingHints hints, int index) {
            if (n == 1) {
                return new GenerationRequest(requestId, model, input, sampling, hints);
            }
            Sampling choice = sampling.seed().isPresent() ? sampling.withSeed(sampling.seed().getAsLong() + index) : sampling;
            return new GenerationRequest(requestId + "-" + index, model, input, choice, hints);
        }
    }

    static ParsedRequest chat(JsonNode body) {
        return chat(body, 1);
    }

    static ParsedRequest completion(JsonNode body) {
        return completion(body, 1);
    }

    static ParsedRequest chat(JsonNode body, int maxChoices) {
        return chat(body, maxChoices, Limits.DEFAULTS);
    }

    static ParsedRequest completion(JsonNode body, int maxChoices) {
        return completion(body, maxChoices, Limits.DEFAULTS);
    }

    static ParsedRequest chat(JsonNode body, int maxChoices, Limits limits) {
        var fields = new Fields(body);
        String model = fields.requiredString("model");
        checkSchemas(body, limits);
        var messages = messages(body.get("messages"), limits);
        // max_completion_tokens supersedes max_tokens; 0 lets the model run to its context length
        int maxTokens = fields.present("max_completion_tokens")
                ? fields.positiveInt("max_completion_tokens", 0)
                : fields.positiveInt("max_tokens", 0);
        boolean logprobs = fields.bool("logprobs", false);
        int topLogprobs = fields.present("top_logprobs") ? fields.intInRange("top_logprobs", 0, 20) : 0;
        if (fields.present("top_logprobs") && !logprobs) {
            throw ApiException.invalid("top_logprobs", "Invalid 'top_logprobs': 'logprobs' must be true when 'top_logprobs' is set.");
        }
        StructuredOutput structured = StructuredOutput.parse(body);
        return finish(fields, model, new GenerationRequest.Chat(messages, structured.toolsJson()), maxTokens, maxChoices,
                logprobs ? topLogprobs : Sampling.NO_LOGPROBS, structured);
    }

    static ParsedRequest completion(JsonNode body, int maxChoices, Limits limits) {
        var fields = new Fields(body);
        String model = fields.requiredString("model");
        checkSchemas(body, limits);
        GenerationRequest.Input prompt = prompt(body.get("prompt"));
        // a token id stands for one character at least, so the character limit bounds token-id prompts too
        int length = prompt instanceof GenerationRequest.TokenPrompt tokens ? tokens.tokenIds().size() : prompt.characters();
        if (length > limits.maxPromptCharacters()) {
            throw ApiException.invalid("prompt", "The prompt has " + length + (prompt instanceof GenerationRequest.TokenPrompt
                    ? " tokens" : " characters") + ", over the limit of " + limits.maxPromptCharacters() + ".");
        }
        if (fields.bool("echo", false)) {
            throw ApiException.invalid("echo", "echo is not supported.");
        }
        int maxTokens = fields.positiveInt("max_tokens", LEGACY_DEFAULT_MAX_TOKENS);
        // the legacy API's logprobs is the number of alternatives, 0..5
        int logprobs = fields.present("logprobs") ? fields.intInRange("logprobs", 0, 5) : Sampling.NO_LOGPROBS;
        return finish(fields, model, prompt, maxTokens, maxChoices, logprobs, StructuredOutput.NONE);
    }

    private static ParsedRequest finish(Fields fields, String model, GenerationRequest.Input input, int maxTokens, int maxChoices,
                                        int topLogprobs, StructuredOutput structured) {
        int n = fields.positiveInt("n", 1);
        if (n > maxChoices) {
            throw ApiException.invalid("n", "Invalid 'n': " + n + " is greater than the maximum of " + maxChoices + ".");
        }
        fields.optionalString("user");
        var sampling = new Sampling(
                fields.number("temperature", 1.0, 0.0, 2.0),
                topP(fields),
                maxTokens,
                fields.seed(),
                stop(fields.node("stop")),
                fields.number("frequency_penalty", 0.0, -2.0, 2.0),
                fields.number("presence_penalty", 0.0, -2.0, 2.0),
                repetitionPenalty(fields),
                logitBias(fields.node("logit_bias")),
                structured.grammar(),
                topLogprobs,
                fields.bool("ignore_eos", false));
        boolean stream = fields.bool("stream", false);
        boolean includeUsage = false;
        JsonNode options = fields.node("stream_options");
        if (options != null) {
            if (!options.isObject()) {
                throw ApiException.invalid("stream_options", "Invalid type for 'stream_options': expected an object.");
            }
            includeUsage = new Fields(options, "stream_options.").bool("include_usage", false);
        }
        return new ParsedRequest(model, input, sampling, n, stream, includeUsage, structured.form());
    }

    /** Token ids (as JSON object keys) to a bias of -100..100, as OpenAI takes them. */
    private static Map<Integer, Float> logitBias(JsonNode node) {
        if (node == null) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw ApiException.invalid("logit_bias", "Invalid type for 'logit_bias': expected an object mapping token ids to biases.");
        }
        if (node.size() > MAX_LOGIT_BIASES) {
            throw ApiException.invalid("logit_bias", "Invalid 'logit_bias': at most " + MAX_LOGIT_BIASES + " tokens may be biased.");
        }
        Map<Integer, Float> biases = new HashMap<>();
        for (var entry : node.properties()) {
            int token;
            try {
                token = Integer.parseInt(entry.getKey());
            } catch (NumberFormatException e) {
                token = -1;
            }
            if (token < 0) {
                throw ApiException.invalid("logit_bias", "Invalid key in 'logit_bias': '" + entry.getKey()
                        + "' is not a token id (a non-negative integer).");
            }
            JsonNode bias = entry.getValue();
            if (!bias.isNumber() || bias.doubleValue() < -100 || bias.doubleValue() > 100) {
                throw ApiException.invalid("logit_bias", "Invalid value in 'logit_bias' for token " + token
                        + ": expected a number from -100 to 100.");
            }
            biases.put(token, bias.floatValue());
        }
        return biases;
    }

    // OpenAI's top_p=0 means "only the likeliest token"; the scheduler reads 0 as "no nucleus sampling",
    // the opposite, so 0 is refused rather than silently inverted.
    private static double topP(Fields fields) {
        double topP = fields.number("top_p", 1.0, 0.0, 1.0);
        if (topP == 0.0) {
            throw ApiException.invalid("top_p", "Invalid 'top_p': must be greater than 0 and at most 1.");
        }
        return topP;
    }

    // vLLM's (and llama-server's) extension: a multiplicative penalty, 1 for none; 0 or less has no meaning (llama.cpp
    // divides positive logits by it), and vLLM takes at most 2.
    private static double repetitionPenalty(Fields fields) {
        double penalty = fields.number("repetition_penalty", Sampling.NO_REPETITION_PENALTY, 0.0, 2.0);
        if (penalty == 0.0) {
            throw ApiException.invalid("repetition_penalty", "Invalid 'repetition_penalty': must be greater than 0 and at most 2.");
        }
        return penalty;
    }

    /** Each of the ignored schema-like fields, as JSON, must fit maxSchemaBytes. */
    private static void checkSchemas(JsonNode body, Limits limits) {
        long max = limits.maxSchemaBytes().toBytes();
        for (String field : SCHEMA_FIELDS) {
            JsonNode node = body.get(field);
            if (node != null && !node.isNull()) {
                // the body is at most max-request-bytes, so writing the field out once is bounded too
                long size = node.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                if (size > max) {
                    throw ApiException.invalid(field, "'" + field + "' is " + size + " bytes of JSON, over the limit of "
                            + max + " bytes.");
                }
            }
        }
    }

    private static List<ChatMessage> messages(JsonNode node, Limits limits) {
        if (node == null || node.isNull()) {
            throw ApiException.invalid("messages", "Missing required parameter: 'messages'.");
        }
        if (!node.isArray()) {
            throw ApiException.invalid("messages", "Invalid type for 'messages': expected an array of messages.");
        }
        if (node.isEmpty()) {
            throw ApiException.invalid("messages", "Invalid 'messages': empty array. Expected at least one message.");
        }
        if (node.size() > limits.maxMessages()) {
            throw ApiException.invalid("messages", node.size() + " messages exceed the limit of " + limits.maxMessages() + ".");
        }
        var messages = new ArrayList<ChatMessage>(node.size());
        long characters = 0;
        for (int i = 0; i < node.size(); i++) {
            ChatMessage message = message(node.get(i), "messages[" + i + "]");
            characters += message.content().length() + message.toolCallsJson().length();
            if (characters > limits.maxPromptCharacters()) {
                throw ApiException.invalid("messages", "The messages' contents have more than " + limits.maxPromptCharacters()
                        + " characters (" + characters + " by messages[" + i + "]), over the limit of "
                        + limits.maxPromptCharacters() + ".");
            }
            messages.add(message);
        }
        return messages;
    }

    private static ChatMessage message(JsonNode node, String param) {
        if (!node.isObject()) {
            throw ApiException.invalid(param, "Invalid type for '" + param + "': expected an object.");
        }
        var fields = new Fields(node, param + ".");
        String role = fields.requiredString("role");
        if (!ROLES.contains(role)) {
            throw ApiException.invalid(param + ".role", "Invalid value for '" + param + ".role': '" + role
                    + "'. Supported values are: 'system', 'user', 'assistant', 'tool' and 'developer'.");
        }
        String content = content(fields.node("content"), param + ".content", role);
        String name = fields.optionalString("name");
        String toolCalls = role.equals("assistant") ? toolCalls(fields.node("tool_calls"), param + ".tool_calls") : "";
        String toolCallId = role.equals("tool") ? fields.requiredString("tool_call_id") : "";
        // The scheduler's chat templates know system, user, assistant and tool; OpenAI's "developer" is its new name for system.
        return new ChatMessage(role.equals("developer") ? "system" : role, content, name == null ? "" : name, toolCalls, toolCallId);
    }

    private static boolean isJson(String text) {
        try {
            JSON.readTree(text);
            return true;
        } catch (tools.jackson.core.JacksonException e) {
            return false;
        }
    }

    /** An assistant message's earlier tool calls, checked, as JSON for the chat template; empty when it made none. */
    private static String toolCalls(JsonNode node, String param) {
        if (node == null) {
            return "";
        }
        if (!node.isArray()) {
            throw ApiException.invalid(param, "Invalid type for '" + param + "': expected an array of tool calls.");
        }
        for (int i = 0; i < node.size(); i++) {
            String callParam = param + "[" + i + "]";
            JsonNode call = node.get(i);
            if (!call.isObject()) {
                throw ApiException.invalid(callParam, "Invalid type for '" + callParam + "': expected an object.");
            }
            var fields = new Fields(call, callParam + ".");
            fields.requiredString("id");
            if (!"function".equals(fields.requiredString("type"))) {
                throw ApiException.invalid(callParam + ".type", "Invalid value for '" + callParam + ".type': only 'function' is supported.");
            }
            JsonNode function = fields.node("function");
            if (function == null || !function.isObject()) {
                throw ApiException.invalid(callParam + ".function", "Missing required parameter: '" + callParam + ".function'.");
            }
            var functionFields = new Fields(function, callParam + ".function.");
            functionFields.requiredString("name");
            JsonNode arguments = functionFields.node("arguments");
            if (arguments == null || !arguments.isString() || !isJson(arguments.stringValue())) {
                throw ApiException.invalid(callParam + ".function.arguments", "Invalid '" + callParam
                        + ".function.arguments': expected a string of JSON.");
            }
        }
        return node.isEmpty() ? "" : node.toString();
    }

    private static String content(JsonNode node, String param, String role) {
        if (node == null) {
            if (role.equals("assistant")) {
                return ""; // an assistant turn that only called tools has no content
            }
            throw ApiException.invalid(param, "Missing required parameter: '" + param + "'.");
        }
        if (node.isString()) {
            return node.stringValue();
        }
        if (!node.isArray()) {
            throw ApiException.invalid(param, "Invalid type for '" + param + "': expected a string or an array of content parts.");
        }
        var text = new StringBuilder();
        for (int i = 0; i < node.size(); i++) {
            String partParam = param + "[" + i + "]";
            JsonNode part = node.get(i);
            if (!part.isObject()) {
                throw ApiException.invalid(partParam, "Invalid type for '" + partParam + "': expected an object.");
            }
            var fields = new Fields(part, partParam + ".");
            String type = fields.requiredString("type");
            if (!type.equals("text")) {
                throw ApiException.invalid(partParam + ".type", "Content parts of type '" + type + "' are not supported; only 'text' is.");
            }
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(fields.requiredString("text"));
        }
        return text.toString();
    }

    /**
     * OpenAI's four forms of a prompt, one prompt each: a string, an array of one string, an array of token ids, or an
     * array of one array of token ids. Ids are checked against the vocabulary by the worker, which knows it.
     */
    private static GenerationRequest.Input prompt(JsonNode node) {
        if (node == null || node.isNull()) {
            throw ApiException.invalid("prompt", "Missing required parameter: 'prompt'.");
        }
        if (node.isString()) {
            return new GenerationRequest.Prompt(node.stringValue());
        }
        if (node.isArray() && !node.isEmpty() && node.get(0).isIntegralNumber()) {
            return tokenPrompt(node);
        }
        if (node.isArray() && node.size() == 1 && node.get(0).isString()) {
            return new GenerationRequest.Prompt(node.get(0).stringValue());
        }
        if (node.isArray() && node.size() == 1 && node.get(0).isArray()) {
            return tokenPrompt(node.get(0));
        }
        if (node.isArray() && node.size() > 1 && (node.get(0).isString() || node.get(0).isArray())) {
            throw ApiException.invalid("prompt", "Only a single prompt is supported per request.");
        }
        throw ApiException.invalid("prompt", "Invalid type for 'prompt': expected a string, an array of one string, "
                + "an array of token ids or an array of one array of token ids.");
    }

    private static GenerationRequest.TokenPrompt tokenPrompt(JsonNode ids) {
        if (ids.isEmpty()) {
            throw ApiException.invalid("prompt", "Invalid 'prompt': an array of token ids must not be empty.");
        }
        List<Integer> tokens = new ArrayList<>(ids.size());
        for (JsonNode id : ids) {
            if (!id.isInt() || id.intValue() < 0) {
                throw ApiException.invalid("prompt", "Invalid 'prompt': '" + id + "' is not a token id (a non-negative integer).");
            }
            tokens.add(id.intValue());
        }
        return new GenerationRequest.TokenPrompt(tokens);
    }

    private static List<String> stop(JsonNode node) {
        if (node == null) {
            return List.of();
        }
        List<String> stop = new ArrayList<>();
        if (node.isString()) {
            stop.add(node.stringValue());
        } else if (node.isArray()) {
            if (node.size() > MAX_STOP_SEQUENCES) {
                throw ApiException.invalid("stop", "Invalid 'stop': at most " + MAX_STOP_SEQUENCES + " sequences are allowed.");
            }
            for (JsonNode s : node) {
                if (!s.isString()) {
                    throw ApiException.invalid("stop", "Invalid type for 'stop': expected a string or an array of strings.");
                }
                stop.add(s.stringValue());
            }
        } else {
            throw ApiException.invalid("stop", "Invalid type for 'stop': expected a string or an array of strings.");
        }
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw ApiException.invalid("stop", "Invalid 'stop': stop sequences must not be empty.");
        }
        return stop;
    }

    /** Typed access to an object's fields; {@code prefix} makes nested fields' error params read "messages[0].role". */
    private record Fields(JsonNode object, String prefix) {

        Fields(JsonNode object) {
            this(object, "");
        }

        /** The field, or null when it is absent or JSON null. */
        JsonNode node(String name) {
            JsonNode node = object.get(name);
            return node == null || node.isNull() ? null : node;
        }

        boolean present(String name) {
            return node(name) != null;
        }

        String requiredString(String name) {
            JsonNode node = node(name);
            if (node == null) {
                throw ApiException.invalid(prefix + name, "Missing required parameter: '" + prefix + name + "'.");
            }
            if (!node.isString()) {
                throw wrongType(name, "a string");
            }
            if (node.stringValue().isBlank()) {
                throw ApiException.invalid(prefix + name, "Invalid '" + prefix + name + "': must not be empty.");
            }
            return node.stringValue();
        }

        String optionalString(String name) {
            JsonNode node = node(name);
            if (node != null && !node.isString()) {
                throw wrongType(name, "a string");
            }
            return node == null ? null : node.stringValue();
        }

        boolean bool(String name, boolean absent) {
            JsonNode node = node(name);
            if (node == null) {
                return absent;
            }
            if (!node.isBoolean()) {
                throw wrongType(name, "a boolean");
            }
            return node.booleanValue();
        }

        int integer(String name) {
            JsonNode node = node(name);
            if (!node.isIntegralNumber() || !node.isInt()) {
                throw wrongType(name, "an integer");
            }
            return node.intValue();
        }

        int intInRange(String name, int min, int max) {
            int value = integer(name);
            if (value < min || value > max) {
                throw ApiException.invalid(prefix + name, "Invalid '" + prefix + name + "': " + value + " is outside the range ["
                        + min + ", " + max + "].");
            }
            return value;
        }

        int positiveInt(String name, int absent) {
            if (!present(name)) {
                return absent;
            }
            int value = integer(name);
            if (value < 1) {
                throw ApiException.invalid(prefix + name, "Invalid '" + prefix + name + "': " + value + " is less than the minimum of 1.");
            }
            return value;
        }

        double number(String name, double absent, double min, double max) {
            JsonNode node = node(name);
            if (node == null) {
                return absent;
            }
            if (!node.isNumber()) {
                throw wrongType(name, "a number");
            }
            double value = node.doubleValue();
            if (value < min || value > max) {
                throw ApiException.invalid(prefix + name, "Invalid '" + prefix + name + "': " + node + " is outside the range ["
                        + min + ", " + max + "].");
            }
            return value;
        }

        OptionalLong seed() {
            JsonNode node = node("seed");
            if (node == null) {
                return OptionalLong.empty();
            }
            if (!node.isIntegralNumber() || !(node.isInt() || node.isLong())) {
                throw wrongType("seed", "a 64-bit integer");
            }
            return OptionalLong.of(node.longValue()); // the proto's uint64 takes the same 64 bits
        }

        private ApiException wrongType(String name, String expected) {
            return ApiException.invalid(prefix + name, "Invalid type for '" + prefix + name + "': expected " + expected + ".");
        }
    }
}
