package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.config.GatewayProperties;
import dev.llmplatform.gateway.errors.ApiException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a request body as a JSON object, at most {@code gateway.max-request-bytes} of it. The body is read
 * as a tree rather than bound to a class so that the OpenAI fields that take more than one shape
 * (content, stop, prompt) can be checked one by one, each error naming its field.
 */
@Component
public class JsonBodyReader {

    private final JsonMapper json;
    private final int maxBytes;

    public JsonBodyReader(JsonMapper json, GatewayProperties properties) {
        this.json = json;
        this.maxBytes = (int) Math.min(Integer.MAX_VALUE, properties.maxRequestBytes().toBytes());
    }

    public Mono<JsonNode> readObject(ServerRequest request) {
        Optional<MediaType> contentType;
        try {
            contentType = request.headers().contentType();
        } catch (InvalidMediaTypeException e) {
            return Mono.error(ApiException.invalid(null, "The Content-Type header is not a media type; send application/json."));
        }
        if (contentType.isPresent() && !isJson(contentType.get())) {
            return Mono.error(new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, ApiException.INVALID_REQUEST,
                    "Unsupported content type '" + contentType.get() + "'; send application/json.", null, null));
        }
        return DataBufferUtils.join(request.body(BodyExtractors.toDataBuffers()), maxBytes)
                .map(this::parse)
                .switchIfEmpty(Mono.error(() -> unparsable("the body is empty")));
    }

    private JsonNode parse(DataBuffer buffer) {
        JsonNode body;
        byte[] bytes = new byte[buffer.readableByteCount()];
        buffer.read(bytes);
        DataBufferUtils.release(buffer);
        requireUtf8(bytes);
        try (InputStream in = new ByteArrayInputStream(bytes)) {
            body = json.readTree(in);
        } catch (JacksonException e) {
            throw unparsable(e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (body == null || body.isMissingNode()) {
            throw unparsable("the body is empty");
        }
        if (!body.isObject()) {
            throw ApiException.invalid(null, "The request body must be a JSON object.");
        }
        return body;
    }

    /**
     * JSON on the wire is UTF-8 (RFC 8259). Jackson's own decoding lets some malformed sequences through
     * (overlong forms, code points past U+10FFFF), and they must not travel on to the tokenizer as text.
     */
    private static void requireUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw unparsable("the body is not valid UTF-8");
        }
    }

    private static boolean isJson(MediaType type) {
        return MediaType.APPLICATION_JSON.isCompatibleWith(type) || type.getSubtype().endsWith("+json");
    }

    private static ApiException unparsable(String detail) {
        return ApiException.invalid(null, "We could not parse the JSON body of your request (" + detail + ").");
    }
}
