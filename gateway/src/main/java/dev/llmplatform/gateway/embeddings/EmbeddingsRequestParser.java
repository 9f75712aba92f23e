package dev.llmplatform.gateway.embeddings;

import dev.llmplatform.gateway.errors.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import dev.llmplatform.gateway.config.GatewayProperties.Limits;
import tools.jackson.databind.JsonNode;

/**
 * Checks a POST /v1/embeddings body field by field; every refusal is a 400 naming its field. A JSON null counts as
 * absent, since client libraries send explicit nulls for parameters left unset.
 */
final class EmbeddingsRequestParser {

    /** OpenAI's limit on inputs per request. */
    static final int MAX_INPUTS = 2048;

    enum EncodingFormat { FLOAT, BASE64 }

    /** @param dimensions the vector length the client asked for, if it asked */
    record ParsedEmbeddingsRequest(String model, List<String> inputs, EncodingFormat encodingFormat, OptionalInt dimensions) {
    }

    private EmbeddingsRequestParser() {
    }

    static ParsedEmbeddingsRequest parse(JsonNode body) {
        return parse(body, Limits.DEFAULTS);
    }

    /** With gateway.limits: inputs per request and characters of all inputs together. */
    static ParsedEmbeddingsRequest parse(JsonNode body, Limits limits) {
        JsonNode model = present(body, "model");
        if (model == null || !model.isString() || model.stringValue().isBlank()) {
            throw ApiException.invalid("model", "You must provide a model parameter (a string).");
        }
        List<String> inputs = inputs(present(body, "input"), Math.min(MAX_INPUTS, limits.maxEmbeddingInputs()));
        long characters = inputs.stream().mapToLong(String::length).sum();
        if (characters > limits.maxPromptCharacters()) {
            throw ApiException.invalid("input", "The inputs have " + characters + " characters together, over the limit of "
                    + limits.maxPromptCharacters() + ".");
        }
        JsonNode user = present(body, "user");
        if (user != null && !user.isString()) {
            throw ApiException.invalid("user", "Invalid type for 'user': expected a string.");
        }
        return new ParsedEmbeddingsRequest(model.stringValue(), inputs, encodingFormat(present(body, "encoding_format")),
                dimensions(present(body, "dimensions")));
    }

    private static JsonNode present(JsonNode body, String field) {
        JsonNode node = body.get(field);
        return node == null || node.isNull() ? null : node;
    }

    private static List<String> inputs(JsonNode input, int maxInputs) {
        if (input == null) {
            throw ApiException.invalid("input", "You must provide an input: a string or an array of strings.");
        }
        if (input.isString()) {
            return List.of(text(input.stringValue(), "input"));
        }
        if (!input.isArray()) {
            throw ApiException.invalid("input", "Invalid type for 'input': expected a string or an array of strings.");
        }
        if (input.isEmpty()) {
            throw ApiException.invalid("input", "'input' must not be an empty array.");
        }
        if (input.size() > maxInputs) {
            throw ApiException.invalid("input", "'input' has " + input.size() + " items; at most " + maxInputs
                    + " inputs are allowed per request.");
        }
        if (input.get(0).isIntegralNumber() || input.get(0).isArray()) {
            // OpenAI clients send token ids of OpenAI's own encodings (cl100k_base); they mean nothing to the
            // WordPiece vocabulary of the models served here, so embedding them would return vectors of other text.
            throw ApiException.invalid("input", "Token-id input is not supported: token ids are specific to one "
                    + "tokenizer, and this server embeds text with each model's own tokenizer. Send the text as a string "
                    + "or an array of strings instead.");
        }
        List<String> texts = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (!item.isString()) {
                throw ApiException.invalid("input", "Invalid type for 'input[" + i + "]': expected a string.");
            }
            texts.add(text(item.stringValue(), "input[" + i + "]"));
        }
        return texts;
    }

    private static String text(String text, String where) {
        if (text.isEmpty()) {
            throw ApiException.invalid("input", "'" + where + "' is an empty string; every input must have text.");
        }
        return text;
    }

    private static EncodingFormat encodingFormat(JsonNode node) {
        if (node == null) {
            return EncodingFormat.FLOAT;
        }
        return switch (node.isString() ? node.stringValue() : "") {
            case "float" -> EncodingFormat.FLOAT;
            case "base64" -> EncodingFormat.BASE64;
            default -> throw ApiException.invalid("encoding_format",
                    "Invalid value for 'encoding_format': expected 'float' or 'base64'.");
        };
    }

    private static OptionalInt dimensions(JsonNode node) {
        if (node == null) {
            return OptionalInt.empty();
        }
        if (!node.isIntegralNumber() || !node.isInt() || node.intValue() < 1) {
            throw ApiException.invalid("dimensions", "Invalid value for 'dimensions': expected a positive integer.");
        }
        return OptionalInt.of(node.intValue());
    }
}
