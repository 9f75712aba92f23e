package dev.llmplatform.scheduler.infra;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import dev.llmplatform.scheduler.domain.AdmissionQueue;
import dev.llmplatform.scheduler.domain.CostModel;
import dev.llmplatform.scheduler.domain.Placement;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Admission of every request, generation and embedding alike. A request is placed at once when a worker has room;
 * otherwise it waits in the bounded priority queue until a slot frees (a stream ends, a load report shows room)
 * or its wait runs out. A full queue refuses with RESOURCE_EXHAUSTED, a pool without a ready worker with
 * UNAVAILABLE, both with a retry-after-seconds trailer; a model no worker knows with NOT_FOUND, unless the
 * registry has it in production (its workers are restarting or loading it): that is UNAVAILABLE with the trailer too.
 * A request a worker failed waits in the queue for another worker of its model that is not ready yet.
 */
@Component
public class AdmissionControl implements DisposableBean {

    public static final Metadata.Key<String> RETRY_AFTER = GrpcStatuses.RETRY_AFTER_SECONDS;
    private static final long TICK_MILLIS = 250;

    private final WorkerPool pool;
    private final RegisteredModels registered;
    private final SchedulerProperties properties;
    private final SchedulerMetrics metrics;
    private final AdmissionQueue<AdmittedRequest> queue;
    private final Object drainLock = new Object();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("admission").daemon(true).factory());

    public AdmissionControl(WorkerPool pool, RegisteredModels registered, SchedulerProperties properties, SchedulerMetrics metrics) {
        this.pool = pool;
        this.registered = registered;
        this.properties = properties;
        this.metrics = metrics;
        this.queue = new AdmissionQueue<>(properties.admission().maxQueued());
        metrics.queueDepth(0, queue); // the default priority's series exists from the start; others when first seen
        pool.onLoadReport(this::slotMayBeFree);
        timers.scheduleWithFixedDelay(this::drain, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Places the request now, or queues it behind those already waiting. */
    public void submit(AdmittedRequest request) {
        if (queue.size() > 0) {
            enqueue(request);
            drain();
            return;
        }
        var placement = request.policy().select(request.placementRequest(), pool.snapshot());
        if (placement instanceof Placement.Saturated) {
            enqueue(request);
        } else {
            handle(request, placement);
        }
    }

    /** A request a worker failed before it did anything: placed again at once, ahead of the queue (it was admitted). */
    void resubmit(AdmittedRequest request) {
        var placement = request.policy().select(request.placementRequest(), pool.snapshot());
        if (awaitsRecovery(request, placement)) {
            enqueue(request);
            return;
        }
        request.context().run(() -> handle(request, placement));
    }

    /**
     * A request a worker failed, while another worker that serves its model is not ready yet (a rolling restart: the
     * one restarted before is still loading, or its breaker has not closed again). It waits for that worker, within
     * the queue wait limit, rather than being refused: it was admitted, and the caller may already have part of its
     * answer. Without such a worker it is refused at once, as before.
     */
    private boolean awaitsRecovery(AdmittedRequest request, Placement placement) {
        if (!(placement instanceof Placement.NoCapacity)) {
            return false;
        }
        var excluded = request.placementRequest().excluded();
        if (excluded.isEmpty()) {
            return false;
        }
        for (WorkerSnapshot worker : pool.snapshot()) {
            if (worker.knows(request.model()) && !excluded.contains(worker.id())) {
                return true;
            }
        }
        return false;
    }

    /** The caller went away: a waiting request leaves the queue. */
    void cancelled(AdmittedRequest request) {
        request.markCallerGone();
        if (queue.remove(request)) {
            request.cancelTimeout();
            slotMayBeFree();
        }
    }

    /** A stream ended or a load report came: a waiting request may fit now. */
    void slotMayBeFree() {
        if (queue.size() > 0 && !timers.isShutdown()) {
            timers.execute(this::drain);
        }
    }

    public int queued() {
        return queue.size();
    }

    private void handle(AdmittedRequest request, Placement placement) {
        switch (placement) {
            case Placement.Placed placed -> {
                if (!request.callerGone()) {
                    request.start(placed);
                }
            }
            case Placement.UnknownModel unknown -> {
                StatusRuntimeException error = notServed(unknown.model());
                if (error.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                    metrics.rejected("no-ready-worker");
                    metrics.placement(request.policy().name(), "none", "no-ready-worker");
                }
                if (!request.callerGone()) {
                    request.fail(error);
                }
            }
            case Placement.NoCapacity none -> reject(request, Status.UNAVAILABLE.withDescription(none.reason()), "no-ready-worker",
                    properties.admission().retryAfterUnavailable().toSeconds());
            case Placement.Saturated full -> enqueue(request);
        }
    }

    /**
     * The answer for a model no worker reports: UNAVAILABLE with a retry hint when the registry has it in
     * production (its workers are restarting or still loading it), NOT_FOUND otherwise.
     */
    public StatusRuntimeException notServed(String model) {
        if (!registered.inProduction(model)) {
            return GrpcStatuses.notFound("The model '" + model + "' does not exist or is not served");
        }
        var trailers = new Metadata();
        trailers.put(RETRY_AFTER, String.valueOf(Math.max(1, properties.admission().retryAfterUnavailable().toSeconds())));
        return Status.UNAVAILABLE.withDescription("no worker serves model '" + model
                + "' right now (its workers are starting or loading it)").asRuntimeException(trailers);
    }

    private void enqueue(AdmittedRequest request) {
        if (request.callerGone()) {
            return;
        }
        metrics.queueDepth(request.priority(), queue);
        request.queuedAt = System.nanoTime();
        switch (queue.offer(request, request.priority())) {
            case AdmissionQueue.Offer.Queued<AdmittedRequest> queued -> scheduleTimeout(request);
            case AdmissionQueue.Offer.QueuedDisplacing<AdmittedRequest> displacing -> {
                scheduleTimeout(request);
                AdmittedRequest displaced = displacing.displaced();
                displaced.cancelTimeout();
                reject(displaced, Status.RESOURCE_EXHAUSTED.withDescription(
                        "the scheduler's queue is full and a request of higher priority took this one's place"),
                        "displaced", retryAfterWhenFull());
            }
            case AdmissionQueue.Offer.Full<AdmittedRequest> full -> reject(request, Status.RESOURCE_EXHAUSTED.withDescription(
                    "every worker serving model '" + request.model() + "' is busy and " + queue.capacity()
                            + " requests are already waiting"), "queue-full", retryAfterWhenFull());
        }
    }

    private void scheduleTimeout(AdmittedRequest request) {
        long wait = properties.admission().maxQueueWait().toMillis();
        var deadline = request.context().getDeadline();
        if (deadline != null) {
            wait = Math.min(wait, deadline.timeRemaining(TimeUnit.MILLISECONDS));
        }
        request.queueTimeout = timers.schedule(() -> {
            if (queue.remove(request)) {
                reject(request, Status.RESOURCE_EXHAUSTED.withDescription("no worker slot became free within the queue wait limit"),
                        "queue-timeout", retryAfterWhenFull());
            }
        }, Math.max(0, wait), TimeUnit.MILLISECONDS);
    }

    /** Places waiting requests, highest priority first, while workers have room. */
    void drain() {
        synchronized (drainLock) {
            while (true) {
                var next = queue.peek();
                if (next.isEmpty()) {
                    return;
                }
                AdmittedRequest request = next.get();
                var placement = request.callerGone() ? null : request.policy().select(request.placementRequest(), pool.snapshot());
                if (placement instanceof Placement.Saturated || awaitsRecovery(request, placement)) {
                    return;
                }
                if (!queue.remove(request)) {
                    continue;
                }
                request.cancelTimeout();
                metrics.queueWait(request.priority(), System.nanoTime() - request.queuedAt);
                if (placement != null) {
                    request.context().run(() -> handle(request, placement));
                }
            }
        }
    }

    private void reject(AdmittedRequest request, Status status, String reason, long retryAfterSeconds) {
        metrics.rejected(reason);
        metrics.placement(request.policy().name(), "none", reason);
        var trailers = new Metadata();
        trailers.put(RETRY_AFTER, String.valueOf(Math.max(1, retryAfterSeconds)));
        if (!request.callerGone()) {
            request.fail(status.asRuntimeException(trailers));
        }
    }

    /** When the first of the busy workers is expected to have a slot free again. */
    private long retryAfterWhenFull() {
        double soonest = Double.MAX_VALUE;
        for (WorkerSnapshot worker : pool.snapshot()) {
            if (worker.available()) {
                soonest = Math.min(soonest, CostModel.backlogSeconds(worker) / Math.max(1, worker.slots()));
            }
        }
        return soonest == Double.MAX_VALUE ? properties.admission().retryAfterUnavailable().toSeconds() : (long) Math.ceil(soonest);
    }

    @Override
    public void destroy() {
        timers.shutdownNow();
    }
}
