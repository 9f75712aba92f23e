package dev.llmplatform.gateway.models;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.llmplatform.gateway.domain.ServedModel;
import dev.llmplatform.gateway.errors.ApiException;
import dev.llmplatform.gateway.filters.RequestIdFilter;
import dev.llmplatform.gateway.infra.SchedulerClient;
import dev.llmplatform.gateway.resilience.SchedulerGuard;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** GET /v1/models and GET /v1/models/{id}: the models some ready worker serves now, as the scheduler sees them. */
@Component
public class ModelsHandler {

    static final String ROUTE = "models";

    private final SchedulerClient scheduler;
    private final SchedulerGuard guard;

    public ModelsHandler(SchedulerClient scheduler, SchedulerGuard guard) {
        this.scheduler = scheduler;
        this.guard = guard;
    }

    public Mono<ServerResponse> list(ServerRequest request) {
        return served(request)
                .map(models -> new ModelList("list", models.stream().map(ModelsHandler::card).toList()))
                .flatMap(ModelsHandler::json);
    }

    /** The id may contain slashes ("org/model"), hence the path's {*id}, which keeps the leading slash. */
    public Mono<ServerResponse> get(ServerRequest request) {
        String id = request.pathVariable("id").replaceFirst("^/", "");
        return served(request)
                .flatMap(models -> Mono.justOrEmpty(models.stream().filter(m -> m.id().equals(id)).findFirst()))
                .switchIfEmpty(Mono.error(() -> ApiException.modelNotFound("The model '" + id + "' does not exist.")))
                .map(ModelsHandler::card)
                .flatMap(ModelsHandler::json);
    }

    private Mono<List<ServedModel>> served(ServerRequest request) {
        return guard.unary(ROUTE, () -> scheduler.listServedModels(RequestIdFilter.requestId(request.exchange())));
    }

    private static ModelCard card(ServedModel model) {
        return new ModelCard(model.id(), "model", model.createdEpochSeconds(), model.ownedBy());
    }

    private static Mono<ServerResponse> json(Object body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(body);
    }

    record ModelList(String object, List<ModelCard> data) {
    }

    record ModelCard(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {
    }
}
