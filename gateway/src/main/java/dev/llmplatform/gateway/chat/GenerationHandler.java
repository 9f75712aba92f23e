package dev.llmplatform.gateway.chat;

import dev.llmplatform.gateway.api.GatewayMetrics;
import dev.llmplatform.gateway.api.JsonBodyReader;
import dev.llmplatform.gateway.chat.OpenAiRequestParser.ParsedRequest;
import dev.llmplatform.gateway.chat.OpenAiResponses.AssistantMessage;
import dev.llmplatform.gateway.chat.OpenAiResponses.ChatChoice;
import dev.llmplatform.gateway.chat.OpenAiResponses.ChatCompletion;
import dev.llmplatform.gateway.chat.OpenAiResponses.ChatCompletionChunk;
import dev.llmplatform.gateway.chat.OpenAiResponses.TextChoice;
import dev.llmplatform.gateway.chat.OpenAiResponses.TextCompletion;
import dev.llmplatform.gateway.chat.OpenAiResponses.ToolCallJson;
import dev.llmplatform.gateway.domain.OutputForm;
import dev.llmplatform.gateway.filters.RequestIdFilter;
import dev.llmplatform.gateway.filters.RequestMetricsFilter;
import dev.llmplatform.gateway.security.ApiKeyFilter;
import dev.llmplatform.gateway.structured.ToolCallOutput;
import dev.llmplatform.gateway.chat.OpenAiResponses.Usage;
import dev.llmplatform.gateway.config.GatewayProperties;
import dev.llmplatform.gateway.domain.ApiKey;
import dev.llmplatform.gateway.domain.GeneratedChunk;
import dev.llmplatform.gateway.domain.GenerationTally;
import dev.llmplatform.gateway.domain.RoutingHints;
import dev.llmplatform.gateway.domain.TokenUsage;
import dev.llmplatform.gateway.infra.SchedulerClient;
import dev.llmplatform.gateway.ratelimit.RateLimiter;
import dev.llmplatform.gateway.resilience.SchedulerGuard;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * POST /v1/chat/completions and POST /v1/completions, whole or streamed, one scheduler call per choice (n).
 * Before the scheduler is called the key is charged its estimated tokens; when the answer is over (or the
 * client left) the charge is settled to what was really used.
 */
@Component
public class GenerationHandler {

    static final String CHAT_ROUTE = "chat-completions";
    static final String COMPLETIONS_ROUTE = "completions";

    private final JsonBodyReader bodies;
    private final SchedulerClient scheduler;
    private final SchedulerGuard guard;
    private final RateLimiter limiter;
    private final GatewayMetrics metrics;
    private final ServerSentEvents sse;
    private final GatewayProperties properties;

    public GenerationHandler(JsonBodyReader bodies, SchedulerClient scheduler, SchedulerGuard guard, RateLimiter limiter,
                             GatewayMetrics metrics, ServerSentEvents sse, GatewayProperties properties) {
        this.bodies = bodies;
        this.scheduler = scheduler;
        this.guard = guard;
        this.limiter = limiter;
        this.metrics = metrics;
        this.sse = sse;
        this.properties = properties;
    }

    public Mono<ServerResponse> chatCompletions(ServerRequest request) {
        return generate(request, CHAT_ROUTE, "chatcmpl-", body -> OpenAiRequestParser.chat(body, properties.maxChoices(), properties.limits()),
                (call, index) -> {
                    var stream = new ChatCompletionStream(call.id(), call.created(), call.parsed(), index, call.tallies().get(index), sse);
                    return call.choice(index).concatMapDelayError(chunk -> Flux.fromIterable(stream.next(chunk)))
                            .concatWith(Flux.defer(() -> Flux.fromIterable(stream.last())));
                },
                call -> new ChatCompletionChunk(call.id(), "chat.completion.chunk", call.created(), call.parsed().model(),
                        List.of(), Usage.of(call.usage())),
                call -> new ChatCompletion(call.id(), "chat.completion", call.created(), call.parsed().model(),
                        IntStream.range(0, call.tallies().size()).mapToObj(i -> chatChoice(i, call.tallies().get(i), call.parsed())).toList(),
                        Usage.of(call.usage())));
    }

    public Mono<ServerResponse> completions(ServerRequest request) {
        return generate(request, COMPLETIONS_ROUTE, "cmpl-", body -> OpenAiRequestParser.completion(body, properties.maxChoices(), properties.limits()),
                (call, index) -> {
                    var stream = new TextCompletionStream(call.id(), call.created(), call.parsed(), index, call.tallies().get(index), sse);
                    return call.choice(index).concatMapDelayError(chunk -> Flux.fromIterable(stream.next(chunk)))
                            .concatWith(Flux.defer(() -> Flux.fromIterable(stream.last())));
                },
                call -> new TextCompletion(call.id(), "text_completion", call.created(), call.parsed().model(), List.of(),
                        Usage.of(call.usage())),
                call -> new TextCompletion(call.id(), "text_completion", call.created(), call.parsed().model(),
                        IntStream.range(0, call.tallies().size()).mapToObj(i -> new TextChoice(i, call.tallies().get(i).text(),
                                call.parsed().sampling().wantsLogprobs() ? LogprobsJson.text(call.tallies().get(i).logprobs(), 0) : null,
                                OpenAiResponses.finishReason(call.tallies().get(i).finishReason()))).toList(),
                        Usage.of(call.usage())));
    }

    private Mono<ServerResponse> generate(ServerRequest request, String route, String idPrefix,
                                          Function<JsonNode, ParsedRequest> parse,
                                          BiFunction<Call, Integer, Flux<?>> streamedChoice,
                                          Function<Call, Object> usageChunk,
                                          Function<Call, Object> whole) {
        return bodies.readObject(request).map(parse).flatMap(parsed -> {
            RoutingHints hints = RoutingHeaders.read(request.headers().asHttpHeaders());
            RequestMetricsFilter.model(request.exchange(), parsed.model());
            ApiKey key = ApiKeyFilter.requiredKey(request.exchange());
            long estimate = estimateTokens(parsed);
            return limiter.admit(request.exchange(), key, 0, estimate).flatMap(charged -> {
                var call = new Call(route, idPrefix + RequestIdFilter.randomId(), Instant.now().getEpochSecond(), parsed,
                        RequestIdFilter.requestId(request.exchange()), hints, System.nanoTime(),
                        IntStream.range(0, parsed.n()).mapToObj(i -> new GenerationTally()).toList());
                Runnable settle = () -> limiter.settle(key, charged, call.usedTokens()).subscribe();
                if (parsed.stream()) {
                    // choices interleave as they come; a failing one lets the chunks already received out first
                    Flux<Object> events = Flux.mergeDelayError(32, IntStream.range(0, parsed.n())
                            .mapToObj(i -> streamedChoice.apply(call, i)).toArray(Flux[]::new));
                    if (parsed.includeUsage()) {
                        events = events.concatWith(Mono.fromSupplier(() -> usageChunk.apply(call)));
                    }
                    // on termination rather than finally: the meters and the budget are settled before [DONE] goes out
                    return sse.respond(request, events.doOnTerminate(() -> call.finish(settle)).doOnCancel(() -> call.finish(settle)));
                }
                return Flux.merge(IntStream.range(0, parsed.n()).mapToObj(i -> call.choice(i).doOnNext(call.tallies().get(i)::add)).toList())
                        .then(Mono.fromSupplier(() -> whole.apply(call)))
                        .doOnTerminate(() -> call.finish(settle))
                        .doOnCancel(() -> call.finish(settle))
                        .flatMap(GenerationHandler::json);
            });
        });
    }

    /**
     * A whole chat choice. Under a tool grammar the text is the model's tool-call JSON: calls become tool_calls
     * (finish_reason "tool_calls"), an answer its content; text cut short of the format is returned as it is.
     */
    static ChatChoice chatChoice(int index, GenerationTally tally, ParsedRequest parsed) {
        Object logprobs = parsed.sampling().wantsLogprobs() ? LogprobsJson.chat(tally.logprobs()) : null;
        String finishReason = OpenAiResponses.finishReason(tally.finishReason());
        if (parsed.form() instanceof OutputForm.ToolCalls) {
            switch (ToolCallOutput.parse(tally.text())) {
                case ToolCallOutput.Calls(var calls) -> {
                    var toolCalls = calls.stream().map(c -> new ToolCallJson(c.id(), c.name(), c.argumentsJson())).toList();
                    return new ChatChoice(index, new AssistantMessage("assistant", null, toolCalls), logprobs, OpenAiResponses.TOOL_CALLS);
                }
                case ToolCallOutput.Answer(var content) -> {
                    return new ChatChoice(index, new AssistantMessage("assistant", content), logprobs, finishReason);
                }
                case ToolCallOutput.Text(var raw) -> {
                    return new ChatChoice(index, new AssistantMessage("assistant", raw), logprobs, finishReason);
                }
            }
        }
        return new ChatChoice(index, new AssistantMessage("assistant", tally.text()), logprobs, finishReason);
    }

    /**
     * What a request may cost before the scheduler has counted it: about four characters a prompt token, plus
     * every choice's max_tokens (or the configured default when the request leaves it open).
     */
    private long estimateTokens(ParsedRequest parsed) {
        long prompt = parsed.input().characters() / 4 + 1;
        long completion = parsed.sampling().maxTokens() > 0 ? parsed.sampling().maxTokens() : properties.rateLimit().defaultCompletionTokens();
        return prompt + (long) parsed.n() * completion;
    }

    private static Mono<ServerResponse> json(Object body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(body);
    }

    /** One request's scheduler calls, one per choice, and what they produced. */
    private final class Call {

        private final String route;
        private final String id;
        private final long created;
        private final ParsedRequest parsed;
        private final String requestId;
        private final RoutingHints hints;
        private final long startNanos;
        private final List<GenerationTally> tallies;
        private final long[] firstChunkNanos;
        private final long[] lastChunkNanos;
        private boolean finished;

        Call(String route, String id, long created, ParsedRequest parsed, String requestId, RoutingHints hints,
             long startNanos, List<GenerationTally> tallies) {
            this.route = route;
            this.id = id;
            this.created = created;
            this.parsed = parsed;
            this.requestId = requestId;
            this.hints = hints;
            this.startNanos = startNanos;
            this.tallies = tallies;
            this.firstChunkNanos = new long[tallies.size()];
            this.lastChunkNanos = new long[tallies.size()];
        }

        String id() {
            return id;
        }

        long created() {
            return created;
        }

        ParsedRequest parsed() {
            return parsed;
        }

        List<GenerationTally> tallies() {
            return tallies;
        }

        /** Choice {@code index}'s chunks from the scheduler, behind the route's breaker, bulkhead and retry. */
        Flux<GeneratedChunk> choice(int index) {
            var generation = parsed.toGeneration(requestId, hints, index);
            return guard.stream(route, () -> scheduler.generate(generation)).doOnNext(chunk -> {
                synchronized (this) {
                    lastChunkNanos[index] = System.nanoTime();
                    if (firstChunkNanos[index] == 0) {
                        firstChunkNanos[index] = lastChunkNanos[index];
                        metrics.served(parsed.model());
                        metrics.firstToken(route, parsed.model(), Duration.ofNanos(firstChunkNanos[index] - startNanos));
                    }
                }
            });
        }

        /** Prompt counted once, as OpenAI does; completions added up over the choices. */
        synchronized TokenUsage usage() {
            int prompt = tallies.stream().mapToInt(t -> t.usage().promptTokens()).max().orElse(0);
            int completion = tallies.stream().mapToInt(t -> t.usage().completionTokens()).sum();
            return new TokenUsage(prompt, completion, prompt + completion);
        }

        /**
         * What the key is charged in the end: the scheduler's count when every choice finished; for an answer
         * cut short, the tokens streamed so far plus the prompt (the estimate's share when the scheduler never
         * said); nothing when the scheduler never started.
         */
        synchronized long usedTokens() {
            boolean started = false;
            for (long nanos : firstChunkNanos) {
                started |= nanos != 0;
            }
            if (!started) {
                return 0;
            }
            if (tallies.stream().allMatch(GenerationTally::isFinished)) {
                return usage().totalTokens();
            }
            long prompt = usage().promptTokens() > 0 ? usage().promptTokens() : parsed.input().characters() / 4 + 1;
            return prompt + tallies.stream().mapToLong(GenerationTally::completionTokens).sum();
        }

        /** Once, however the answer ended: settle the budget and record the token meters. */
        void finish(Runnable settle) {
            synchronized (this) {
                if (finished) {
                    return;
                }
                finished = true;
            }
            settle.run();
            for (int i = 0; i < tallies.size(); i++) {
                if (firstChunkNanos[i] != 0) {
                    metrics.outputTokens(route, parsed.model(), Duration.ofNanos(lastChunkNanos[i] - firstChunkNanos[i]),
                            tallies.get(i).completionTokens());
                }
            }
            if (tallies.stream().allMatch(GenerationTally::isFinished)) {
                metrics.tokens(parsed.model(), usage());
            }
        }
    }
}
