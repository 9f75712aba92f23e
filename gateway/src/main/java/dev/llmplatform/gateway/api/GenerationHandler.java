package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.api.OpenAiRequestParser.ParsedRequest;
import dev.llmplatform.gateway.api.OpenAiResponses.AssistantMessage;
import dev.llmplatform.gateway.api.OpenAiResponses.ChatChoice;
import dev.llmplatform.gateway.api.OpenAiResponses.ChatCompletion;
import dev.llmplatform.gateway.api.OpenAiResponses.TextChoice;
import dev.llmplatform.gateway.api.OpenAiResponses.TextCompletion;
import dev.llmplatform.gateway.api.OpenAiResponses.Usage;
import dev.llmplatform.gateway.domain.GeneratedChunk;
import dev.llmplatform.gateway.domain.GenerationTally;
import dev.llmplatform.gateway.infra.SchedulerClient;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** POST /v1/chat/completions and POST /v1/completions, whole or streamed. */
@Component
public class GenerationHandler {

    private final JsonBodyReader bodies;
    private final SchedulerClient scheduler;
    private final ServerSentEvents sse;

    public GenerationHandler(JsonBodyReader bodies, SchedulerClient scheduler, ServerSentEvents sse) {
        this.bodies = bodies;
        this.scheduler = scheduler;
        this.sse = sse;
    }

    public Mono<ServerResponse> chatCompletions(ServerRequest request) {
        return bodies.readObject(request).map(OpenAiRequestParser::chat).flatMap(parsed -> {
            var call = start(request, parsed, "chatcmpl-");
            if (parsed.stream()) {
                var stream = new ChatCompletionStream(call.id(), call.created(), parsed.model(), parsed.includeUsage());
                return sse.respond(request, call.chunks(stream::next, stream::last));
            }
            return call.whole().map(tally -> new ChatCompletion(call.id(), "chat.completion", call.created(), parsed.model(),
                            List.of(new ChatChoice(0, new AssistantMessage("assistant", tally.text()), null,
                                    OpenAiResponses.finishReason(tally.finishReason()))),
                            Usage.of(tally.usage())))
                    .flatMap(GenerationHandler::json);
        });
    }

    public Mono<ServerResponse> completions(ServerRequest request) {
        return bodies.readObject(request).map(OpenAiRequestParser::completion).flatMap(parsed -> {
            var call = start(request, parsed, "cmpl-");
            if (parsed.stream()) {
                var stream = new TextCompletionStream(call.id(), call.created(), parsed.model(), parsed.includeUsage());
                return sse.respond(request, call.chunks(stream::next, stream::last));
            }
            return call.whole().map(tally -> new TextCompletion(call.id(), "text_completion", call.created(), parsed.model(),
                            List.of(new TextChoice(0, tally.text(), null, OpenAiResponses.finishReason(tally.finishReason()))),
                            Usage.of(tally.usage())))
                    .flatMap(GenerationHandler::json);
        });
    }

    // The completion id doubles as the scheduler's request id unless the client sent an x-request-id of its own.
    private Call start(ServerRequest request, ParsedRequest parsed, String idPrefix) {
        String id = idPrefix + RequestIdFilter.randomId();
        String requestId = RequestIdFilter.requestId(request.exchange(), () -> id);
        return new Call(id, Instant.now().getEpochSecond(), scheduler.generate(parsed.toGeneration(requestId)));
    }

    private static Mono<ServerResponse> json(Object body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(body);
    }

    private record Call(String id, long created, Flux<GeneratedChunk> generated) {

        Mono<GenerationTally> whole() {
            return generated.collect(GenerationTally::new, GenerationTally::add);
        }

        <T> Flux<T> chunks(Function<GeneratedChunk, List<T>> next,
                           Supplier<List<T>> last) {
            // delaying the error lets the chunks already received out before it (concatMapIterable would drop them)
            return generated.concatMapDelayError(chunk -> Flux.fromIterable(next.apply(chunk)))
                    .concatWith(Flux.defer(() -> Flux.fromIterable(last.get())));
        }
    }
}
