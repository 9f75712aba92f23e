package dev.llmplatform.scheduler.infra;

import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.proto.v1.WatchLoadRequest;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import dev.llmplatform.scheduler.discovery.WorkerMembership;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/**
 * The workers, their latest load and their health. Each worker streams its load reports (WatchLoad); a broken
 * stream marks it not ready at once and is re-opened after a short pause. Each worker's gRPC health service is
 * asked every health-check interval through the worker's circuit breaker: failures count towards opening it, and
 * while it is open these checks are its probes: the first SERVING answer closes it, so a worker is used again within
 * a health-check interval of being ready and no client request is risked on a worker that just failed.
 */
@Component
public class WorkerPool implements InitializingBean, DisposableBean, WorkerMembership {

    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);
    /** A broken load stream is opened again this soon: a restarted worker is placed on within about this of ready. */
    private static final long RECONNECT_MILLIS = 250;

    private final SchedulerProperties properties;
    private final GrpcChannelFactory channels;
    private final CircuitBreakerRegistry breakers;
    // replaced whole when discovery changes the membership, so readers iterate a stable map without locks
    private volatile Map<String, PooledWorker> workers = Map.of();
    private final List<Runnable> loadListeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("worker-watch").daemon(true).factory());
    private final Map<String, Context.CancellableContext> watches = new ConcurrentHashMap<>();
    // what each discovered worker was last found as, to tell a worker that moved from one that stayed
    private Map<String, SchedulerProperties.Worker> discoveredAs = Map.of();

    public WorkerPool(SchedulerProperties properties, GrpcChannelFactory channels, CircuitBreakerRegistry breakers) {
        this.properties = properties;
        this.channels = channels;
        this.breakers = breakers;
    }

    @Override
    public synchronized void afterPropertiesSet() {
        Map<String, PooledWorker> configured = new LinkedHashMap<>();
        for (SchedulerProperties.Worker worker : properties.workers()) {
            configured.put(worker.id(), pooled(worker));
        }
        workers = configured;
        configured.keySet().forEach(this::watch);
        long interval = properties.healthCheckInterval().toMillis();
        timers.scheduleWithFixedDelay(this::checkHealth, 0, interval, TimeUnit.MILLISECONDS);
    }

    private PooledWorker pooled(SchedulerProperties.Worker worker) {
        return new PooledWorker(worker.id(), worker.pool(), properties.profile(worker.profile()),
                channel(worker), breakers.circuitBreaker(worker.id()),
                properties.admission().workerQueue(), properties.placement().speedSmoothing());
    }

    /**
     * The channel to one worker. Its callbacks (the relayed tokens, load reports, health answers) run on the
     * transport's own thread: they never block, and each token so crosses one thread fewer on its way to the caller.
     * A worker found at a pod IP is verified against its Service's name, which its certificate carries.
     */
    private io.grpc.Channel channel(SchedulerProperties.Worker worker) {
        return channels.createChannel(worker.target(), org.springframework.grpc.client.ChannelBuilderOptions.defaults()
                .withCustomizer((target, builder) -> {
                    builder.directExecutor();
                    if (!worker.tlsName().isBlank()) {
                        builder.overrideAuthority(worker.tlsName());
                    }
                }));
    }

    /**
     * Discovery (KubernetesWorkerDiscovery, LocalWorkerDiscovery): discovered workers join and leave; configured ones
     * stay. A worker found again under its id at another target (a local replica started again on new ports between
     * two reads) is replaced, so that no channel keeps pointing at the old address.
     */
    @Override
    public synchronized void discovered(List<SchedulerProperties.Worker> found) {
        var configured = properties.workers().stream().map(SchedulerProperties.Worker::id).toList();
        var wanted = found.stream().map(SchedulerProperties.Worker::id).toList();
        Map<String, PooledWorker> next = new LinkedHashMap<>();
        List<String> joined = new ArrayList<>();
        Map<String, SchedulerProperties.Worker> before = discoveredAs;
        workers.forEach((id, worker) -> {
            boolean unchanged = found.stream().anyMatch(w -> w.id().equals(id) && w.equals(before.get(id)));
            if (configured.contains(id) || unchanged) {
                next.put(id, worker);
            } else {
                Optional.ofNullable(watches.remove(id)).ifPresent(c -> c.cancel(null));
                if (worker.channel() instanceof ManagedChannel managed) {
                    managed.shutdown();
                }
            }
        });
        for (SchedulerProperties.Worker worker : found) {
            if (!next.containsKey(worker.id())) {
                next.put(worker.id(), pooled(worker));
                joined.add(worker.id());
            }
        }
        workers = next;
        discoveredAs = found.stream().collect(java.util.stream.Collectors.toUnmodifiableMap(SchedulerProperties.Worker::id,
                w -> w, (first, second) -> first));
        joined.forEach(this::watch);
    }

    /** The ready workers that serve the model, least busy first (sequences in flight per slot). */
    public List<String> readyWorkersServing(String model) {
        return workers.values().stream()
                .map(PooledWorker::snapshot)
                .filter(w -> w.serves(model))
                .sorted(Comparator.comparingDouble(WorkerSnapshot::utilisation))
                .map(WorkerSnapshot::id)
                .toList();
    }

    /** Whether any worker, ready or not, has reported serving the model: "unavailable" rather than "unknown". */
    public boolean anyWorkerReported(String model) {
        return workers.values().stream().anyMatch(w -> w.report().getModelsList().stream().anyMatch(m -> m.getId().equals(model)));
    }

    public Optional<Channel> channel(String workerId) {
        return Optional.ofNullable(workers.get(workerId)).map(PooledWorker::channel);
    }

    /** Called after every load report: a freed slot may let a queued request go. */
    public void onLoadReport(Runnable listener) {
        loadListeners.add(listener);
    }

    public List<WorkerSnapshot> snapshot() {
        List<WorkerSnapshot> snapshots = new ArrayList<>(workers.size());
        for (PooledWorker worker : workers.values()) {
            snapshots.add(worker.snapshot());
        }
        return snapshots;
    }

    public Optional<PooledWorker> worker(String workerId) {
        return Optional.ofNullable(workers.get(workerId));
    }

    public List<PooledWorker> workers() {
        return List.copyOf(workers.values());
    }

    /** Every model that an available worker serves, with the workers serving it. */
    public Map<LoadedModel, List<String>> servedModels() {
        Map<String, LoadedModel> models = new LinkedHashMap<>();
        Map<String, List<String>> servedBy = new LinkedHashMap<>();
        workers.values().forEach(worker -> {
            if (worker.available()) {
                worker.report().getModelsList().forEach(m -> {
                    models.putIfAbsent(m.getId(), m);
                    servedBy.computeIfAbsent(m.getId(), k -> new ArrayList<>()).add(worker.id());
                });
            }
        });
        Map<LoadedModel, List<String>> served = new LinkedHashMap<>();
        models.forEach((id, m) -> served.put(m, List.copyOf(servedBy.get(id))));
        return served;
    }

    private void watch(String workerId) {
        PooledWorker worker = workers.get(workerId);
        if (worker == null) {
            return; // dropped by discovery meanwhile
        }
        var context = Context.current().withCancellation();
        watches.put(workerId, context);
        context.run(() -> InferenceWorkerGrpc.newStub(worker.channel()).watchLoad(
                WatchLoadRequest.newBuilder().setIntervalMillis((int) properties.loadReportInterval().toMillis()).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(LoadReport report) {
                        worker.report(report);
                        loadListeners.forEach(Runnable::run);
                    }

                    @Override
                    public void onError(Throwable t) {
                        worker.lost(String.valueOf(t.getMessage()));
                        log.debug("Load stream of worker {} broke: {}", workerId, t.getMessage());
                        reconnectLater(workerId, worker);
                    }

                    @Override
                    public void onCompleted() {
                        reconnectLater(workerId, worker);
                    }
                }));
    }

    /** Only while the worker is still the one watched: a dropped or replaced worker's cancelled stream is not reopened. */
    private void reconnectLater(String workerId, PooledWorker watched) {
        if (!timers.isShutdown() && workers.get(workerId) == watched) {
            timers.schedule(() -> watch(workerId), RECONNECT_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void checkHealth() {
        for (PooledWorker worker : workers.values()) {
            boolean open = !worker.breaker().tryAcquirePermission();
            if (open) {
                worker.healthy(false);
            }
            if (!worker.healthy() && worker.channel() instanceof ManagedChannel managed) {
                // our polling replaces gRPC's growing reconnect back-off: a restarted worker is seen within a check
                managed.resetConnectBackoff();
            }
            long started = System.nanoTime();
            HealthGrpc.newStub(worker.channel()).withDeadlineAfter(properties.healthCheckTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .check(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
                        @Override
                        public void onNext(HealthCheckResponse response) {
                            boolean serving = response.getStatus() == HealthCheckResponse.ServingStatus.SERVING;
                            worker.healthy(serving);
                            if (open) {
                                if (serving) {
                                    // the probe is the trial call: no client request is risked, and none waits out the open state
                                    log.info("Worker {} is serving again; closing its breaker", worker.id());
                                    worker.breaker().transitionToClosedState();
                                }
                            } else if (serving) {
                                worker.breaker().onSuccess(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                            } else {
                                // up but not ready (still loading): not a fault, so neither success nor failure
                                worker.breaker().releasePermission();
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            if (open) {
                                return; // still down: the breaker stays open
                            }
                            // a slow answer counts against the breaker, but only an unreachable worker is down at once
                            if (Status.fromThrowable(t).getCode() != Status.Code.DEADLINE_EXCEEDED) {
                                worker.healthy(false);
                            }
                            worker.breaker().onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
        }
    }

    @Override
    public void destroy() {
        timers.shutdownNow();
        watches.values().forEach(c -> c.cancel(null));
    }
}
