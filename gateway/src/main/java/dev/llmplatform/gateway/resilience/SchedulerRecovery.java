package dev.llmplatform.gateway.resilience;

import dev.llmplatform.gateway.config.GatewayProperties;
import dev.llmplatform.gateway.config.SchedulerChannel;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Brings the scheduler's breakers back as soon as the scheduler is: while any is open, the scheduler's gRPC health
 * service is asked every recovery-probe-interval, and an answer of SERVING closes them. Recovery so follows the
 * scheduler's readiness within one probe interval (a failed probe also ends the channel's reconnect backoff, so the
 * next probe dials at once) instead of waiting out the open state and then risking client
 * requests as trial calls, which failed while the scheduler was still starting and stretched the outage.
 */
@Component
public class SchedulerRecovery implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(SchedulerRecovery.class);
    private static final long PROBE_DEADLINE_MILLIS = 1000;

    private final SchedulerGuard guard;
    private final HealthGrpc.HealthStub health;
    private final SchedulerChannel channel;
    private final AtomicBoolean probing = new AtomicBoolean();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("scheduler-recovery").daemon(true).factory());

    public SchedulerRecovery(SchedulerGuard guard, HealthGrpc.HealthStub schedulerHealth, SchedulerChannel channel,
                             GatewayProperties properties) {
        this.guard = guard;
        this.health = schedulerHealth;
        this.channel = channel;
        long interval = properties.resilience().recoveryProbeInterval().toMillis();
        timer.scheduleWithFixedDelay(this::probe, interval, interval, TimeUnit.MILLISECONDS);
    }

    void probe() {
        if (guard.openBreakers().isEmpty() || !probing.compareAndSet(false, true)) {
            return;
        }
        health.withDeadlineAfter(PROBE_DEADLINE_MILLIS, TimeUnit.MILLISECONDS).check(HealthCheckRequest.getDefaultInstance(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(HealthCheckResponse response) {
                        if (response.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                            List<CircuitBreaker> open = guard.openBreakers();
                            open.forEach(CircuitBreaker::transitionToClosedState);
                            if (!open.isEmpty()) {
                                log.info("The scheduler is serving again: closed the breakers of {}",
                                        open.stream().map(CircuitBreaker::getName).toList());
                            }
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        // still down, or up while the channel sits out its backoff: dial again at the next probe
                        channel.reconnectNow();
                        probing.set(false);
                    }

                    @Override
                    public void onCompleted() {
                        probing.set(false);
                    }
                });
    }

    @Override
    public void destroy() {
        timer.shutdownNow();
    }
}
