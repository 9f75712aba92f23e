package dev.llmplatform.gateway.batch;

import dev.llmplatform.gateway.api.JsonBodyReader;
import dev.llmplatform.gateway.domain.ApiKey;
import dev.llmplatform.gateway.errors.ApiException;
import dev.llmplatform.gateway.infra.RegistryBatchClient;
import dev.llmplatform.gateway.security.ApiKeyFilter;
import dev.llmplatform.proto.v1.CancelBatchRequest;
import dev.llmplatform.proto.v1.CreateBatchRequest;
import dev.llmplatform.proto.v1.GetBatchRequest;
import dev.llmplatform.proto.v1.GetBatchTokenUsageRequest;
import dev.llmplatform.proto.v1.ListBatchesRequest;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * /v1/batches: OpenAI's Batch API. The registry stores each batch (and checks endpoint, window and input file);
 * the scheduler runs it. A batch belongs to the API key that created it: another key gets a 404.
 */
@Component
public class BatchesHandler {

    private final RegistryBatchClient registry;
    private final JsonBodyReader bodies;

    public BatchesHandler(RegistryBatchClient registry, JsonBodyReader bodies) {
        this.registry = registry;
        this.bodies = bodies;
    }

    public Mono<ServerResponse> create(ServerRequest request) {
        ApiKey key = ApiKeyFilter.requiredKey(request.exchange());
        return bodies.readObject(request)
                .map(body -> CreateBatchRequest.newBuilder().setOwner(key.name())
                        .setInputFileId(text(body, "input_file_id", true))
                        .setEndpoint(text(body, "endpoint", true))
                        .setCompletionWindow(text(body, "completion_window", true))
                        .putAllMetadata(metadata(body))
                        .setTokenBudgetPerDay(key.batchTokensPerDay())
                        .build())
                .flatMap(create -> withinBatchTokenBudget(key).then(registry.createBatch(create)))
                .onErrorMap(e -> RegistryErrors.translate(e, "input_file_id"))
                .flatMap(batch -> json(BatchViews.batch(batch)));
    }

    /**
     * Quotas: a key with a batch token budget ({@link ApiKey#batchTokensPerDay()}) whose batches' lines have used it up
     * over the last 24 h gets a 429 for a new batch. Its batches already created wait in the registry instead (no
     * runner starts their lines while the owner is over budget).
     */
    private Mono<Void> withinBatchTokenBudget(ApiKey key) {
        long budget = key.batchTokensPerDay();
        if (budget <= 0) {
            return Mono.empty();
        }
        return registry.batchTokenUsage(GetBatchTokenUsageRequest.newBuilder().setOwner(key.name()).build())
                .flatMap(usage -> usage.getTokens() < budget ? Mono.<Void>empty()
                        : Mono.<Void>error(batchTokenQuotaExceeded(usage.getTokens(), budget)));
    }

    static ApiException batchTokenQuotaExceeded(long used, long budget) {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, ApiException.INVALID_REQUEST,
                "Batch token quota exceeded for this key: " + used + " of " + budget + " batch tokens used in the last 24 hours. "
                        + "New batches are refused until the rolling window frees tokens; the key's interactive budget is separate.",
                null, "batch_token_quota_exceeded");
    }

    public Mono<ServerResponse> get(ServerRequest request) {
        return registry.getBatch(GetBatchRequest.newBuilder().setOwner(FilesHandler.owner(request))
                        .setBatchId(request.pathVariable("id")).build())
                .onErrorMap(e -> RegistryErrors.translate(e, "batch_id"))
                .flatMap(batch -> json(BatchViews.batch(batch)));
    }

    public Mono<ServerResponse> list(ServerRequest request) {
        return registry.listBatches(ListBatchesRequest.newBuilder().setOwner(FilesHandler.owner(request))
                        .setAfter(request.queryParam("after").orElse("")).setLimit(FilesHandler.intParam(request, "limit")).build())
                .onErrorMap(e -> RegistryErrors.translate(e, null))
                .flatMap(page -> json(BatchViews.batches(page.getBatchesList(), page.getHasMore())));
    }

    public Mono<ServerResponse> cancel(ServerRequest request) {
        return registry.cancelBatch(CancelBatchRequest.newBuilder().setOwner(FilesHandler.owner(request))
                        .setBatchId(request.pathVariable("id")).build())
                .onErrorMap(e -> RegistryErrors.translate(e, "batch_id"))
                .flatMap(batch -> json(BatchViews.batch(batch)));
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw ApiException.invalid(field, "Missing required parameter: '" + field + "'.");
            }
            return "";
        }
        if (!value.isString()) {
            throw ApiException.invalid(field, "'" + field + "' must be a string.");
        }
        return value.asString();
    }

    private static Map<String, String> metadata(JsonNode body) {
        JsonNode metadata = body.get("metadata");
        if (metadata == null || metadata.isNull()) {
            return Map.of();
        }
        if (!metadata.isObject()) {
            throw ApiException.invalid("metadata", "'metadata' must be an object of strings.");
        }
        var values = new java.util.LinkedHashMap<String, String>();
        for (var entry : metadata.properties()) {
            if (!entry.getValue().isString()) {
                throw ApiException.invalid("metadata", "metadata values must be strings; '" + entry.getKey() + "' is not.");
            }
            values.put(entry.getKey(), entry.getValue().asString());
        }
        return values;
    }

    private static Mono<ServerResponse> json(Object body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(body);
    }
}
