package dev.llmplatform.gateway.api;

import static org.springframework.web.reactive.function.server.RequestPredicates.path;

import dev.llmplatform.gateway.batch.BatchesHandler;
import dev.llmplatform.gateway.batch.FilesHandler;
import dev.llmplatform.gateway.chat.GenerationHandler;
import dev.llmplatform.gateway.embeddings.EmbeddingsHandler;
import dev.llmplatform.gateway.models.ModelsHandler;
import java.util.Set;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.MethodNotAllowedException;
import reactor.core.publisher.Mono;

/**
 * The OpenAI API. Functional routes are mapped at order -1, ahead of Spring Cloud Gateway's route mapping
 * (order 1), so the proxy routes in application.yml (/admin/**) can never shadow them.
 */
@Configuration(proxyBeanMethods = false)
class OpenAiRoutes {

    @Bean
    RouterFunction<ServerResponse> openAiApi(GenerationHandler generations, ModelsHandler models, EmbeddingsHandler embeddings,
                                             FilesHandler files, BatchesHandler batches) {
        return RouterFunctions.route()
                .POST("/v1/chat/completions", generations::chatCompletions)
                .POST("/v1/completions", generations::completions)
                .POST("/v1/embeddings", embeddings::create)
                .GET("/v1/models", models::list)
                .GET("/v1/models/{*id}", models::get)
                .POST("/v1/files", files::upload)
                .GET("/v1/files", files::list)
                .GET("/v1/files/{id}", files::get)
                .DELETE("/v1/files/{id}", files::delete)
                .GET("/v1/files/{id}/content", files::content)
                .POST("/v1/batches", batches::create)
                .GET("/v1/batches", batches::list)
                .GET("/v1/batches/{id}", batches::get)
                .POST("/v1/batches/{id}/cancel", batches::cancel)
                // a known path with the wrong method is a 405, not the 404 an unmatched route would give
                .route(path("/v1/chat/completions").or(path("/v1/completions")).or(path("/v1/embeddings")), onlyAllows(HttpMethod.POST))
                .route(path("/v1/models").or(path("/v1/models/**")), onlyAllows(HttpMethod.GET))
                .route(path("/v1/files").or(path("/v1/batches")), onlyAllows(HttpMethod.GET, HttpMethod.POST))
                .route(path("/v1/files/{id}"), onlyAllows(HttpMethod.GET, HttpMethod.DELETE))
                .route(path("/v1/files/{id}/content").or(path("/v1/batches/{id}")), onlyAllows(HttpMethod.GET))
                .route(path("/v1/batches/{id}/cancel"), onlyAllows(HttpMethod.POST))
                .build();
    }

    private static HandlerFunction<ServerResponse> onlyAllows(HttpMethod... methods) {
        return request -> Mono.error(new MethodNotAllowedException(request.method(), Set.of(methods)));
    }
}
