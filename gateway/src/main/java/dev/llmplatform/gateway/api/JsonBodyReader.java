package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.config.GatewayProperties;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
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
        var contentType = request.headers().contentType();
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
        try (InputStream in = buffer.asInputStream(true)) {
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

    private static boolean isJson(MediaType type) {
        return MediaType.APPLICATION_JSON.isCompatibleWith(type) || type.getSubtype().endsWith("+json");
    }

    private static ApiException unparsable(String detail) {
        return ApiException.invalid(null, "We could not parse the JSON body of your request (" + detail + ").");
    }
}
