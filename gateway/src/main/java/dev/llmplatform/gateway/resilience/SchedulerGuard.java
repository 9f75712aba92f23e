package dev.llmplatform.gateway.resilience;

import dev.llmplatform.gateway.config.GatewayProperties;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRetryMetrics;
import io.github.resilience4j.reactor.bulkhead.operator.BulkheadOperator;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.github.resilience4j.reactor.retry.RetryOperator;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Resilience4j in front of the scheduler, one breaker, bulkhead and retry per route:
 * <ul>
 *   <li>a time limit on the <em>first</em> chunk only: a long generation that keeps streaming is not a
 *       timeout (the gRPC deadline, gateway.generation-timeout, still bounds the whole call);</li>
 *   <li>a bulkhead on concurrent calls, refusing at once rather than queueing;</li>
 *   <li>a circuit breaker that counts the scheduler's own failures (UNAVAILABLE, DEADLINE_EXCEEDED,
 *       INTERNAL, UNKNOWN, first-chunk timeouts), not a client's mistakes (NOT_FOUND, INVALID_ARGUMENT) nor
 *       back-pressure (RESOURCE_EXHAUSTED), nor the scheduler's own answer that no worker is ready (UNAVAILABLE
 *       with its retry-after-seconds trailer: the scheduler is well, and says when to come back);</li>
 *   <li>a retry on UNAVAILABLE from the transport only while nothing has been streamed: once a client has text, a
 *       retry would repeat it;</li>
 *   <li>an open breaker is closed by the scheduler's health, not by client requests ({@link SchedulerRecovery}).</li>
 * </ul>
 */
@Component
public class SchedulerGuard {

    private static final Set<Status.Code> SCHEDULER_FAILURES = EnumSet.of(Status.Code.UNAVAILABLE,
            Status.Code.DEADLINE_EXCEEDED, Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.DATA_LOSS);

    private final GatewayProperties.Resilience settings;
    private final CircuitBreakerRegistry breakers;
    private final BulkheadRegistry bulkheads;
    private final RetryRegistry retries;

    public SchedulerGuard(GatewayProperties properties, MeterRegistry meters) {
        this.settings = properties.resilience();
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .failureRateThreshold(settings.failureRateThreshold())
                .slidingWindowSize(settings.slidingWindowSize())
                .minimumNumberOfCalls(settings.minimumNumberOfCalls())
                .waitDurationInOpenState(settings.waitInOpenState())
                .recordException(SchedulerGuard::isSchedulerFailure)
                .build());
        this.bulkheads = BulkheadRegistry.of(BulkheadConfig.custom()
                .maxConcurrentCalls(settings.maxConcurrentCalls())
                .maxWaitDuration(Duration.ZERO)
                .build());
        this.retries = RetryRegistry.of(RetryConfig.custom()
                .maxAttempts(Math.max(1, settings.retryAttempts()))
                .waitDuration(settings.retryWait())
                .retryOnException(e -> statusOf(e) == Status.Code.UNAVAILABLE && !isSchedulerRefusal(e))
                .build());
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);
        TaggedBulkheadMetrics.ofBulkheadRegistry(bulkheads).bindTo(meters);
        TaggedRetryMetrics.ofRetryRegistry(retries).bindTo(meters);
    }

    /** A streamed call: guarded until its first element, then left to run. */
    public <T> Flux<T> stream(String route, Supplier<Flux<T>> call) {
        Duration firstChunk = settings.timeToFirstToken(route);
        CircuitBreaker breaker = breakers.circuitBreaker(route);
        Bulkhead bulkhead = bulkheads.bulkhead(route);
        Retry retry = retries.retry(route);
        return Flux.defer(() -> {
            var emitted = new AtomicBoolean();
            return call.get()
                    .transformDeferred(BulkheadOperator.of(bulkhead))
                    .timeout(Mono.delay(firstChunk), next -> Mono.never())
                    .onErrorMap(TimeoutException.class, e -> new FirstChunkTimeoutException(route, firstChunk))
                    .doOnNext(chunk -> emitted.set(true))
                    // a failure after the first chunk must not be retried: mark it so the retry sees it as final
                    .onErrorMap(e -> emitted.get() && !(e instanceof StreamBrokenException) ? new StreamBrokenException(e) : e)
                    .transformDeferred(CircuitBreakerOperator.of(breaker));
        }).transformDeferred(RetryOperator.of(retry));
    }

    /** A unary call: the time limit covers the whole answer. */
    public <T> Mono<T> unary(String route, Supplier<Mono<T>> call) {
        Duration limit = settings.timeToFirstToken(route);
        CircuitBreaker breaker = breakers.circuitBreaker(route);
        return Mono.defer(() -> call.get()
                        .transformDeferred(BulkheadOperator.of(bulkheads.bulkhead(route)))
                        .timeout(limit)
                        .onErrorMap(TimeoutException.class, e -> new FirstChunkTimeoutException(route, limit))
                        .transformDeferred(CircuitBreakerOperator.of(breaker)))
                .transformDeferred(RetryOperator.of(retries.retry(route)));
    }

    public CircuitBreaker breaker(String route) {
        return breakers.circuitBreaker(route);
    }

    public Duration waitInOpenState() {
        return settings.waitInOpenState();
    }

    private static boolean isSchedulerFailure(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof FirstChunkTimeoutException) {
                return true;
            }
        }
        Status.Code code = grpcCode(error);
        return code != null && SCHEDULER_FAILURES.contains(code) && !isSchedulerRefusal(error);
    }

    /** Breakers that are open now, by route. */
    public java.util.List<CircuitBreaker> openBreakers() {
        return breakers.getAllCircuitBreakers().stream()
                .filter(b -> b.getState() == CircuitBreaker.State.OPEN || b.getState() == CircuitBreaker.State.HALF_OPEN)
                .toList();
    }

    /**
     * The scheduler answered, and its answer was a refusal with a retry-after-seconds trailer: no worker ready or
     * the queue full. A transport failure (the scheduler is down) has no such trailer.
     */
    static boolean isSchedulerRefusal(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            io.grpc.Metadata trailers = t instanceof io.grpc.StatusRuntimeException sre ? sre.getTrailers()
                    : t instanceof io.grpc.StatusException se ? se.getTrailers() : null;
            if (trailers != null) {
                return trailers.containsKey(dev.llmplatform.commons.grpc.GrpcStatuses.RETRY_AFTER_SECONDS);
            }
        }
        return false;
    }


    /** The gRPC status of a failure that has not streamed anything yet; null for anything else. */
    private static Status.Code statusOf(Throwable error) {
        return error instanceof StreamBrokenException ? null : grpcCode(error);
    }

    private static Status.Code grpcCode(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof io.grpc.StatusRuntimeException sre) {
                return sre.getStatus().getCode();
            }
            if (t instanceof io.grpc.StatusException se) {
                return se.getStatus().getCode();
            }
        }
        return null;
    }

    /** No first chunk within the route's limit. */
    public static final class FirstChunkTimeoutException extends RuntimeException {
        public FirstChunkTimeoutException(String route, Duration limit) {
            super("no answer from the scheduler within " + limit.toMillis() + " ms on route " + route, null, false, false);
        }
    }

    /** A failure after part of the answer was streamed: reported in-band, never retried. */
    public static final class StreamBrokenException extends RuntimeException {
        StreamBrokenException(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }
}
