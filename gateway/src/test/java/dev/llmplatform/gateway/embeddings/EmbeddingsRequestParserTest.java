package dev.llmplatform.gateway.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.llmplatform.gateway.embeddings.EmbeddingsRequestParser.EncodingFormat;
import dev.llmplatform.gateway.errors.ApiException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

/** What POST /v1/embeddings accepts, and the 400s for what it does not. */
class EmbeddingsRequestParserTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static EmbeddingsRequestParser.ParsedEmbeddingsRequest parse(String body) {
        return EmbeddingsRequestParser.parse(JSON.readTree(body));
    }

    @Test
    void takesOneStringAsOneInputWithFloatVectorsByDefault() {
        var parsed = parse("""
                {"model": "all-minilm-l6-v2", "input": "hello"}""");

        assertThat(parsed.model()).isEqualTo("all-minilm-l6-v2");
        assertThat(parsed.inputs()).containsExactly("hello");
        assertThat(parsed.encodingFormat()).isEqualTo(EncodingFormat.FLOAT);
        assertThat(parsed.dimensions()).isEmpty();
    }

    @Test
    void takesAnArrayOfStringsBase64DimensionsAndUserAndIgnoresNulls() {
        var parsed = parse("""
                {"model": "m", "input": ["a", "b"], "encoding_format": "base64", "dimensions": 384, "user": "u-1",
                 "unknown_field": null}""");

        assertThat(parsed.inputs()).containsExactly("a", "b");
        assertThat(parsed.encodingFormat()).isEqualTo(EncodingFormat.BASE64);
        assertThat(parsed.dimensions()).isEqualTo(OptionalInt.of(384));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "no model           | {\"input\": \"a\"}                                     | model           | model parameter",
            "no input           | {\"model\": \"m\"}                                     | input           | must provide an input",
            "empty string       | {\"model\": \"m\", \"input\": \"\"}                    | input           | empty string",
            "empty array        | {\"model\": \"m\", \"input\": []}                      | input           | empty array",
            "empty item         | {\"model\": \"m\", \"input\": [\"a\", \"\"]}           | input           | 'input[1]' is an empty string",
            "mixed array        | {\"model\": \"m\", \"input\": [\"a\", 1]}              | input           | 'input[1]': expected a string",
            "token ids          | {\"model\": \"m\", \"input\": [1, 2, 3]}               | input           | Token-id input is not supported",
            "token id arrays    | {\"model\": \"m\", \"input\": [[1, 2], [3]]}           | input           | Token-id input is not supported",
            "object input       | {\"model\": \"m\", \"input\": {\"a\": 1}}              | input           | expected a string or an array",
            "bad format         | {\"model\": \"m\", \"input\": \"a\", \"encoding_format\": \"hex\"} | encoding_format | 'float' or 'base64'",
            "zero dimensions    | {\"model\": \"m\", \"input\": \"a\", \"dimensions\": 0}   | dimensions      | positive integer",
            "text dimensions    | {\"model\": \"m\", \"input\": \"a\", \"dimensions\": \"8\"} | dimensions    | positive integer",
            "numeric user       | {\"model\": \"m\", \"input\": \"a\", \"user\": 7}        | user            | expected a string",
    })
    void refusesWith400NamingTheField(String what, String body, String param, String message) {
        var refusal = catchThrowableOfType(ApiException.class, () -> parse(body));

        assertThat(refusal.status().value()).isEqualTo(400);
        assertThat(refusal.body().error().param()).isEqualTo(param);
        assertThat(refusal.getMessage()).contains(message);
    }

    @Test
    void refusesMoreThan2048Inputs() {
        String body = JSON.writeValueAsString(java.util.Map.of("model", "m", "input", java.util.Collections.nCopies(2049, "a")));

        var refusal = catchThrowableOfType(ApiException.class, () -> parse(body));

        assertThat(refusal.getMessage()).contains("2049 items").contains("at most 2048");
    }

    @Test
    void base64IsTheLittleEndianFloat32sOfTheVector() {
        float[] vector = {1.0f, -0.5f, 0.123456789f};

        byte[] bytes = Base64.getDecoder().decode(EmbeddingsHandler.base64(vector));

        assertThat(bytes).hasSize(12).startsWith(0x00, 0x00, (byte) 0x80, 0x3f); // 1.0f = 0x3f800000, low byte first
        var floats = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        assertThat(List.of(floats.get(0), floats.get(1), floats.get(2))).containsExactly(1.0f, -0.5f, 0.123456789f);
    }
}
