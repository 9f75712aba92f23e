package dev.llmplatform.scheduler.infra;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import dev.llmplatform.scheduler.domain.AdmissionQueue;
import dev.llmplatform.scheduler.domain.AffinityIndex;
import dev.llmplatform.scheduler.domain.CostModel;
import dev.llmplatform.scheduler.domain.OutputLengths;
import dev.llmplatform.scheduler.domain.Placement;
import dev.llmplatform.scheduler.domain.PlacementPolicy;
import dev.llmplatform.scheduler.domain.PlacementRequest;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Admission, placement and relay of generation requests. A request is placed at once when a worker has room;
 * otherwise it waits in the bounded priority queue until a slot frees (a stream ends, a load report shows room)
 * or its wait runs out. A full queue refuses with RESOURCE_EXHAUSTED, a pool without a ready worker with
 * UNAVAILABLE, both with a retry-after-seconds trailer. A worker that fails before the first token is recorded on
 * its circuit breaker and the request is placed on another worker; once text has been relayed the failure goes
 * to the caller, since a retry would repeat text it already has.
 */
@Component
public class Dispatcher implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    public static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after-seconds", Metadata.ASCII_STRING_MARSHALLER);
    private static final long TICK_MILLIS = 250;

    private final WorkerPool pool;
    private final SchedulerProperties properties;
    private final SchedulerMetrics metrics;
    private final PoolStatistics statistics;
    private final AffinityIndex affinity;
    private final OutputLengths outputLengths;
    private final AdmissionQueue<Job> queue;
    private final Object drainLock = new Object();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("dispatcher").daemon(true).factory());

    public Dispatcher(WorkerPool pool, SchedulerProperties properties, SchedulerMetrics metrics, PoolStatistics statistics,
                      AffinityIndex affinity, OutputLengths outputLengths) {
        this.pool = pool;
        this.properties = properties;
        this.metrics = metrics;
        this.statistics = statistics;
        this.affinity = affinity;
        this.outputLengths = outputLengths;
        this.queue = new AdmissionQueue<>(properties.admission().maxQueued());
        metrics.queueDepth(0, queue); // the default priority's series exists from the start; others when first seen
        pool.onLoadReport(this::drainSoon);
        timers.scheduleWithFixedDelay(this::drain, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** One generation request from admission to its last chunk. */
    public final class Job {
        private final WorkerGenerateRequest request;
        private final ServerCallStreamObserver<ScheduleGenerateChunk> caller;
        private final PlacementPolicy policy;
        private final int priority;
        private final String sessionId;
        private final long[] prefixKeys;
        private final PlacementRequest placement;
        private final Context context = Context.current();
        private final Set<String> failed = new HashSet<>();
        private volatile boolean callerGone;
        private volatile ClientCallStreamObserver<WorkerGenerateRequest> workerCall;
        private long queuedAt;
        private ScheduledFuture<?> queueTimeout;

        public Job(WorkerGenerateRequest request, ServerCallStreamObserver<ScheduleGenerateChunk> caller, PlacementPolicy policy,
                   int priority, String sessionId, double finishWithinSeconds) {
            this.request = request;
            this.caller = caller;
            this.policy = policy;
            this.priority = priority;
            this.sessionId = sessionId;
            List<Integer> prompt = request.getPromptTokenIdsList();
            this.prefixKeys = affinity.prefixKeys(prompt);
            int maxTokens = request.getSampling().getMaxTokens();
            this.placement = new PlacementRequest(request.getModel(), prompt.size(),
                    outputLengths.expected(request.getModel(), maxTokens), finishWithinSeconds,
                    affinity.cachedTokens(prefixKeys, sessionId, prompt.size()), Set.of());
            caller.setOnCancelHandler(() -> {
                callerGone = true;
                if (queue.remove(this)) {
                    cancelTimeout();
                    drainSoon();
                }
                var current = workerCall;
                if (current != null) {
                    current.cancel("the caller went away", null);
                }
            });
        }

        private PlacementRequest placementRequest() {
            return placement.excluding(failed);
        }

        private void cancelTimeout() {
            if (queueTimeout != null) {
                queueTimeout.cancel(false);
            }
        }
    }

    /** Places the request now, or queues it behind those already waiting. */
    public void submit(Job job) {
        if (queue.size() > 0) {
            enqueue(job);
            drain();
            return;
        }
        var placement = job.policy.select(job.placementRequest(), pool.snapshot());
        if (placement instanceof Placement.Saturated) {
            enqueue(job);
        } else {
            handle(job, placement);
        }
    }

    private void handle(Job job, Placement placement) {
        switch (placement) {
            case Placement.Placed placed -> start(job, placed);
            case Placement.UnknownModel unknown ->
                    job.caller.onError(GrpcStatuses.notFound("The model '" + unknown.model() + "' does not exist or is not served"));
            case Placement.NoCapacity none -> reject(job, Status.UNAVAILABLE.withDescription(none.reason()), "no-ready-worker",
                    properties.admission().retryAfterUnavailable().toSeconds());
            case Placement.Saturated full -> enqueue(job);
        }
    }

    private void enqueue(Job job) {
        if (job.callerGone) {
            return;
        }
        metrics.queueDepth(job.priority, queue);
        job.queuedAt = System.nanoTime();
        switch (queue.offer(job, job.priority)) {
            case AdmissionQueue.Offer.Queued<Job> queued -> scheduleTimeout(job);
            case AdmissionQueue.Offer.QueuedDisplacing<Job> displacing -> {
                scheduleTimeout(job);
                Job displaced = displacing.displaced();
                displaced.cancelTimeout();
                reject(displaced, Status.RESOURCE_EXHAUSTED.withDescription(
                        "the scheduler's queue is full and a request of higher priority took this one's place"),
                        "displaced", retryAfterWhenFull());
            }
            case AdmissionQueue.Offer.Full<Job> full -> reject(job, Status.RESOURCE_EXHAUSTED.withDescription(
                    "every worker serving model '" + job.request.getModel() + "' is busy and " + queue.capacity()
                            + " requests are already waiting"), "queue-full", retryAfterWhenFull());
        }
    }

    private void scheduleTimeout(Job job) {
        long wait = properties.admission().maxQueueWait().toMillis();
        var deadline = job.context.getDeadline();
        if (deadline != null) {
            wait = Math.min(wait, deadline.timeRemaining(TimeUnit.MILLISECONDS));
        }
        job.queueTimeout = timers.schedule(() -> {
            if (queue.remove(job)) {
                reject(job, Status.RESOURCE_EXHAUSTED.withDescription("no worker slot became free within the queue wait limit"),
                        "queue-timeout", retryAfterWhenFull());
            }
        }, Math.max(0, wait), TimeUnit.MILLISECONDS);
    }

    private void drainSoon() {
        if (queue.size() > 0 && !timers.isShutdown()) {
            timers.execute(this::drain);
        }
    }

    /** Places waiting requests, highest priority first, while workers have room. */
    void drain() {
        synchronized (drainLock) {
            while (true) {
                var next = queue.peek();
                if (next.isEmpty()) {
                    return;
                }
                Job job = next.get();
                var placement = job.callerGone ? null : job.policy.select(job.placementRequest(), pool.snapshot());
                if (placement instanceof Placement.Saturated) {
                    return;
                }
                if (!queue.remove(job)) {
                    continue;
                }
                job.cancelTimeout();
                metrics.queueWait(job.priority, System.nanoTime() - job.queuedAt);
                if (placement != null) {
                    job.context.run(() -> handle(job, placement));
                }
            }
        }
    }

    private void reject(Job job, Status status, String reason, long retryAfterSeconds) {
        metrics.rejected(reason);
        metrics.placement(job.policy.name(), "none", reason);
        var trailers = new Metadata();
        trailers.put(RETRY_AFTER, String.valueOf(Math.max(1, retryAfterSeconds)));
        if (!job.callerGone) {
            job.caller.onError(status.asRuntimeException(trailers));
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

    private void start(Job job, Placement.Placed placed) {
        if (job.callerGone) {
            return;
        }
        WorkerSnapshot snapshot = placed.worker();
        PooledWorker worker = pool.worker(snapshot.id()).orElseThrow();
        var request = job.placement;
        worker.placed(request.promptTokens(), request.expectedOutputTokens());
        affinity.record(job.prefixKeys, job.sessionId, request.promptTokens(), worker.id());
        metrics.placed(job.policy.name(), worker.pool(), placed.estimate().finishSeconds());
        statistics.arrived(worker.pool());
        var attempt = new Attempt(job, worker, snapshot.inFlight() < snapshot.slots());
        job.context.run(() -> InferenceWorkerGrpc.newStub(worker.channel()).generate(job.request, attempt));
    }

    /** The stream from one worker. gRPC calls its methods one at a time. */
    private final class Attempt implements ClientResponseObserver<WorkerGenerateRequest, WorkerGenerateChunk> {

        private final Job job;
        private final PooledWorker worker;
        private final boolean hadFreeSlot;
        private final long sent = System.nanoTime();
        private long firstToken;
        private long lastToken;
        private int tokens;
        private boolean finished;

        Attempt(Job job, PooledWorker worker, boolean hadFreeSlot) {
            this.job = job;
            this.worker = worker;
            this.hadFreeSlot = hadFreeSlot;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<WorkerGenerateRequest> requestStream) {
            job.workerCall = requestStream;
        }

        @Override
        public void onNext(WorkerGenerateChunk chunk) {
            long now = System.nanoTime();
            var out = ScheduleGenerateChunk.newBuilder()
                    .setText(chunk.getText())
                    .setTokenCount(chunk.getTokenCount())
                    .setFinishReason(chunk.getFinishReason());
            if (chunk.hasUsage()) {
                out.setUsage(chunk.getUsage());
            }
            if (firstToken == 0) {
                firstToken = now;
                out.setWorkerId(worker.id());
                worker.prefilled(job.placement.promptTokens());
                worker.breaker().onSuccess(now - sent, TimeUnit.NANOSECONDS);
                if (hadFreeSlot) {
                    worker.measuredPrefill(job.placement.promptTokens() - job.placement.cachedPromptTokens()
                            .getOrDefault(worker.id(), 0), now - sent);
                }
            }
            if (chunk.getTokenCount() > 0) {
                int expectedLeft = job.placement.expectedOutputTokens() - tokens;
                worker.decoded(Math.max(0, Math.min(chunk.getTokenCount(), expectedLeft)));
                tokens += chunk.getTokenCount();
                lastToken = now;
                statistics.relayed(worker.pool(), chunk.getTokenCount());
            }
            job.caller.onNext(out.build());
        }

        /** Takes this attempt's outstanding work off the worker, once. */
        private void finish() {
            if (finished) {
                return;
            }
            finished = true;
            worker.finished(firstToken == 0 ? job.placement.promptTokens() : 0,
                    Math.max(0, job.placement.expectedOutputTokens() - tokens));
            drainSoon();
        }

        @Override
        public void onError(Throwable t) {
            finish();
            Status status = Status.fromThrowable(t);
            if (job.callerGone) {
                return;
            }
            if (status.getCode() == Status.Code.UNAVAILABLE) {
                worker.breaker().onError(System.nanoTime() - sent, TimeUnit.NANOSECONDS, t);
            }
            boolean workerUnusable = status.getCode() == Status.Code.UNAVAILABLE
                    || status.getCode() == Status.Code.RESOURCE_EXHAUSTED;
            if (firstToken == 0 && workerUnusable) {
                log.warn("Worker {} failed request {} before its first token ({}); placing it elsewhere",
                        worker.id(), job.request.getRequestId(), status);
                metrics.failover();
                job.failed.add(worker.id());
                job.workerCall = null;
                submitAgain(job);
                return;
            }
            job.caller.onError(status.asRuntimeException());
        }

        @Override
        public void onCompleted() {
            finish();
            double seconds = (System.nanoTime() - sent) / 1e9;
            if (tokens > 1 && lastToken > firstToken) {
                worker.measuredDecode(tokens - 1, lastToken - firstToken);
            }
            outputLengths.finished(job.request.getModel(), tokens);
            var snapshot = worker.snapshot();
            double joules = CostModel.joules(snapshot, job.placement.promptTokens(), tokens);
            metrics.finished(worker.pool(), seconds, joules, job.placement.promptTokens() + tokens);
            statistics.completed(worker.pool(), seconds);
            job.caller.onCompleted();
        }
    }

    /** A failed-over request goes ahead of the queue: it was admitted already. */
    private void submitAgain(Job job) {
        var placement = job.policy.select(job.placementRequest(), pool.snapshot());
        job.context.run(() -> handle(job, placement));
    }

    public int queued() {
        return queue.size();
    }

    @Override
    public void destroy() {
        timers.shutdownNow();
    }
}
