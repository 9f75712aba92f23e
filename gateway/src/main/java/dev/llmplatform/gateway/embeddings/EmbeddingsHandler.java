package dev.llmplatform.gateway.embeddings;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.llmplatform.gateway.api.JsonBodyReader;
import dev.llmplatform.gateway.embeddings.EmbeddingsRequestParser.EncodingFormat;
import dev.llmplatform.gateway.embeddings.EmbeddingsRequestParser.ParsedEmbeddingsRequest;
import dev.llmplatform.gateway.domain.EmbeddingRequest;
import dev.llmplatform.gateway.domain.EmbeddingResult;
import dev.llmplatform.gateway.domain.ApiKey;
import dev.llmplatform.gateway.errors.ApiException;
import dev.llmplatform.gateway.filters.RequestIdFilter;
import dev.llmplatform.gateway.filters.RequestMetricsFilter;
import dev.llmplatform.gateway.infra.SchedulerClient;
import dev.llmplatform.gateway.ratelimit.RateLimiter;
import dev.llmplatform.gateway.resilience.SchedulerGuard;
import dev.llmplatform.gateway.security.ApiKeyFilter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** POST /v1/embeddings: OpenAI's embeddings API, vectors as JSON numbers or as base64 of little-endian float32. */
@Component
public class EmbeddingsHandler {

    private static final String ROUTE = "embeddings";

    private final JsonBodyReader bodies;
    private final SchedulerClient scheduler;
    private final SchedulerGuard guard;
    private final RateLimiter limiter;

    private final dev.llmplatform.gateway.config.GatewayProperties.Limits limits;

    public EmbeddingsHandler(JsonBodyReader bodies, SchedulerClient scheduler, SchedulerGuard guard, RateLimiter limiter,
                             dev.llmplatform.gateway.config.GatewayProperties properties) {
        this.limits = properties.limits();
        this.bodies = bodies;
        this.scheduler = scheduler;
        this.guard = guard;
        this.limiter = limiter;
    }

    public Mono<ServerResponse> create(ServerRequest request) {
        return bodies.readObject(request).map(body -> EmbeddingsRequestParser.parse(body, limits)).flatMap(parsed -> {
            RequestMetricsFilter.model(request.exchange(), parsed.model());
            String requestId = RequestIdFilter.requestId(request.exchange());
            ApiKey key = ApiKeyFilter.requiredKey(request.exchange());
            // the request itself was counted by the filter; the token budget is charged an estimate (about four
            // characters a token) and settled to the worker's real count
            long estimate = parsed.inputs().stream().mapToLong(input -> input.length() / 4 + 1).sum();
            return limiter.admit(request.exchange(), key, 0, estimate).flatMap(charged -> guard.unary(ROUTE,
                            () -> scheduler.embed(new EmbeddingRequest(requestId, parsed.model(), parsed.inputs())))
                    .flatMap(result -> limiter.settle(key, charged, result.promptTokens()).thenReturn(result))
                    .map(result -> response(parsed, result)));
        }).flatMap(body -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(body));
    }

    // The model's dimension is only known from its vectors; a model whose vectors cannot be shortened
    // (all served here so far) accepts only its own length, as OpenAI's fixed-size models do.
    private static EmbeddingList response(ParsedEmbeddingsRequest request, EmbeddingResult result) {
        int length = result.vectors().isEmpty() ? 0 : result.vectors().getFirst().length;
        request.dimensions().ifPresent(asked -> {
            if (asked != length) {
                throw ApiException.invalid("dimensions", "The model '" + request.model() + "' returns " + length
                        + "-dimensional embeddings and does not support shortening them; omit 'dimensions' or set it to "
                        + length + ".");
            }
        });
        List<EmbeddingItem> data = new ArrayList<>(result.vectors().size());
        for (int i = 0; i < result.vectors().size(); i++) {
            float[] vector = result.vectors().get(i);
            data.add(new EmbeddingItem("embedding", i, request.encodingFormat() == EncodingFormat.BASE64 ? base64(vector) : vector));
        }
        return new EmbeddingList("list", data, request.model(), new EmbeddingUsage(result.promptTokens(), result.promptTokens()));
    }

    /** What OpenAI sends for encoding_format=base64: the float32 values, little-endian, base64-encoded. */
    static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    record EmbeddingList(String object, List<EmbeddingItem> data, String model, EmbeddingUsage usage) {
    }

    /** @param embedding a float[] (numbers) or a String (base64) */
    record EmbeddingItem(String object, int index, Object embedding) {
    }

    record EmbeddingUsage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("total_tokens") int totalTokens) {
    }
}
