package dev.llmplatform.scheduler.batch;

import dev.llmplatform.proto.v1.Batch;
import dev.llmplatform.proto.v1.BatchError;
import dev.llmplatform.proto.v1.BatchStatus;
import dev.llmplatform.proto.v1.BatchStoreGrpc;
import dev.llmplatform.proto.v1.ClaimBatchWorkRequest;
import dev.llmplatform.proto.v1.ClaimBatchWorkResponse;
import dev.llmplatform.proto.v1.FileChunk;
import dev.llmplatform.proto.v1.FinalizeBatchRequest;
import dev.llmplatform.proto.v1.ReadFileContentRequest;
import dev.llmplatform.proto.v1.RecordLineResultRequest;
import dev.llmplatform.proto.v1.RecordLineResultResponse;
import dev.llmplatform.proto.v1.RenewBatchLeaseRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs batches that the registry stores: claims one for a lease (renewed while it works), reads its input file
 * line by line, runs each line that has no result yet through the scheduler at the batch priority, records each
 * result as soon as it is in (once: the registry keeps a line's first result), and finalizes the batch. A runner
 * that dies leaves its batch to the next one to claim it once the lease has run out; lines already recorded are not
 * run again.
 *
 * <p>Lines are planned by energy within the completion window: {@link BatchPlanning} shares the remaining lines of
 * the batch's model over the workers serving it (the least energy that finishes within the window, or with the
 * batch's {@code batch_plan} metadata {@code latency-first}, the earliest finish), again every
 * {@code replanInterval} as speeds change, and lines are dealt to the workers in those shares, at most
 * {@code concurrency} in flight on each. A batch that could not finish within its window even with every worker
 * busy to the end fails before it starts, with that reason. Each line's estimated and measured joules are recorded
 * with its result.
 */
public final class BatchRunner {

    private static final Logger log = LoggerFactory.getLogger(BatchRunner.class);
    private static final int RECORD_ATTEMPTS = 60;
    private static final int MAX_FAILURES = 3;
    /** Planning's stand-in for a line that sets no max_tokens (the scheduler then allows up to the context's room). */
    static final int PLANNING_MAX_TOKENS = 256;
    /** Lines run before their mean output replaces the expectation in plans. */
    private static final int MEASURED_LINES = 3;
    /** The batch metadata key that picks the plan's objective for one batch. */
    static final String PLAN_METADATA_KEY = "batch_plan";

    private final BatchStoreGrpc.BatchStoreBlockingStub registry;
    private final LineExecutor executor;
    private final BatchRunnerProperties properties;
    private final BatchPlanning planning;
    private final BatchMetrics metrics;
    private final String runnerId;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile Thread loop;

    /** A runner that does not plan: every line goes by the scheduler's default placement. */
    public BatchRunner(BatchStoreGrpc.BatchStoreBlockingStub registry, LineExecutor executor, BatchRunnerProperties properties) {
        this(registry, executor, properties, request -> java.util.Optional.empty(),
                new BatchMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
    }

    public BatchRunner(BatchStoreGrpc.BatchStoreBlockingStub registry, LineExecutor executor, BatchRunnerProperties properties,
                       BatchPlanning planning, BatchMetrics metrics) {
        this.registry = registry;
        this.executor = executor;
        this.properties = properties;
        this.planning = planning;
        this.metrics = metrics;
        this.runnerId = properties.runnerId().isBlank() ? defaultRunnerId() : properties.runnerId();
    }

    public String runnerId() {
        return runnerId;
    }

    public void start() {
        if (started.compareAndSet(false, true)) {
            loop = Thread.ofVirtual().name("batch-runner").start(this::loop);
        }
    }

    public void stop() {
        stopped.set(true);
        Thread thread = loop;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        while (!stopped.get()) {
            boolean worked = false;
            try {
                worked = runOnce();
            } catch (StatusRuntimeException e) {
                log.debug("batch runner: registry call failed: {}", e.getStatus());
            } catch (RuntimeException e) {
                log.warn("batch runner: unexpected failure", e);
            }
            if (!worked && !sleep(properties.pollInterval())) {
                return;
            }
        }
    }

    /** Claims one batch and works on it until it is finalized or lost. @return whether there was a batch */
    public boolean runOnce() {
        ClaimBatchWorkResponse claim = call().claimBatchWork(ClaimBatchWorkRequest.newBuilder().setRunnerId(runnerId)
                .setLeaseSeconds(leaseSeconds()).build());
        if (!claim.hasBatch()) {
            return false;
        }
        run(claim.getBatch(), new HashSet<>(claim.getDoneLinesList()));
        return true;
    }

    private void run(Batch batch, Set<Integer> done) {
        var work = new Work(batch, done.size());
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory());
        long every = Math.max(200, properties.lease().toMillis() / 3);
        heartbeat.scheduleWithFixedDelay(work::renew, every, every, TimeUnit.MILLISECONDS);
        try {
            if (batch.getStatus() == BatchStatus.BATCH_STATUS_IN_PROGRESS) {
                runLines(work, done);
            }
            if (work.lost.get() || stopped.get()) {
                return; // another runner has it, or this one is stopping: the lease runs out and the next claim resumes
            }
            if (leftForLaterClaim(work)) {
                return;
            }
            finalizeBatch(batch, work.failure);
        } finally {
            heartbeat.shutdownNow();
            metrics.planned(null);
        }
    }

    private void runLines(Work work, Set<Integer> done) {
        Batch batch = work.batch;
        var slots = new java.util.concurrent.ConcurrentHashMap<String, Semaphore>();
        try (InputStream input = new BufferedInputStream(content(batch), 64 * 1024);
             var inFlight = Executors.newVirtualThreadPerTaskExecutor()) {
            var lines = new JsonlLines(input);
            int index = 0;
            String text;
            while ((text = lines.next()) != null) {
                int lineIndex = index++;
                if (done.contains(lineIndex)) {
                    continue;
                }
                if (work.stopping()) {
                    break;
                }
                BatchLine parsed = BatchLine.parse(lineIndex, text, batch.getEndpoint(), properties.priority(),
                        batch.getId() + "-" + lineIndex);
                String worker = work.deal(parsed);
                if (work.failure != null) {
                    break; // the window cannot be met: the batch fails with the reason, before any line runs
                }
                BatchLine line = worker.isEmpty() ? parsed : parsed.plannedOn(worker);
                Semaphore workerSlots = slots.computeIfAbsent(worker, w -> new Semaphore(properties.concurrency()));
                workerSlots.acquire();
                inFlight.submit(() -> {
                    try {
                        runLine(work, line);
                    } finally {
                        workerSlots.release();
                    }
                });
            }
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                work.failure = BatchError.newBuilder().setCode("input_file_missing")
                        .setMessage("The input file " + batch.getInputFileId() + " no longer exists.").build();
            } else {
                work.lost.set(true); // the registry is away: leave the batch to a later claim
                log.warn("batch {}: reading its input failed: {}", batch.getId(), e.getStatus());
            }
        } catch (IOException | RuntimeException e) {
            work.lost.set(true);
            log.warn("batch {}: reading its input failed: {}", batch.getId(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            work.lost.set(true);
        }
    }

    private void runLine(Work work, BatchLine line) {
        LineExecutor.LineResult result = null;
        int failures = 0;
        while (result == null) {
            if (work.stopping()) {
                return;
            }
            try {
                result = executor.run(line);
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                // no room now (saturated, no worker ready): batch lines wait behind interactive traffic, as long as
                // the window lasts; any other failure is tried a few times, then is the line's error entry
                if (code != Status.Code.RESOURCE_EXHAUSTED && code != Status.Code.UNAVAILABLE && ++failures >= MAX_FAILURES) {
                    result = serverError(line, e.getStatus().getDescription());
                } else if (!sleep(properties.retryWait())) {
                    return;
                }
            } catch (RuntimeException e) {
                log.warn("batch {}: line {} failed", work.batch.getId(), line.index(), e);
                result = serverError(line, null);
            }
        }
        record(work, line, result);
    }

    private static LineExecutor.LineResult serverError(BatchLine line, String detail) {
        return LineExecutor.LineResult.error(BatchOutput.refused(line, line.requestId(), 500, "server_error", null,
                "The server had an error while processing the request" + (detail == null ? "." : ": " + detail)));
    }

    private void record(Work work, BatchLine line, LineExecutor.LineResult result) {
        var request = RecordLineResultRequest.newBuilder().setRunnerId(runnerId).setBatchId(work.batch.getId())
                .setLineIndex(line.index()).setCustomId(line.customId()).setOk(result.ok()).setLine(result.line())
                .setInputTokens(result.inputTokens()).setOutputTokens(result.outputTokens())
                .setEstimatedJoules(result.estimatedJoules()).setMeasuredJoules(result.measuredJoules()).build();
        for (int attempt = 1; attempt <= RECORD_ATTEMPTS && !stopped.get(); attempt++) {
            try {
                RecordLineResultResponse response = call().recordLineResult(request);
                if (response.getRecorded()) {
                    metrics.recorded(result);
                    work.ran(result);
                }
                if (response.getStatus() == BatchStatus.BATCH_STATUS_CANCELLING) {
                    work.cancelling.set(true);
                }
                noteBudget(work, response);
                if (attempt > 1) {
                    log.info("batch {}: line {} recorded at attempt {}", work.batch.getId(), line.index(), attempt);
                }
                return;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION) {
                    work.lost.set(true); // the batch ended meanwhile
                    return;
                }
                if (attempt == 1) {
                    log.warn("batch {}: recording line {} failed ({}), retrying", work.batch.getId(), line.index(), e.getStatus());
                }
                if (!sleep(properties.retryWait())) {
                    return;
                }
            }
        }
        if (!stopped.get()) {
            log.warn("batch {}: line {} not recorded after {} attempts; left to the next claim", work.batch.getId(), line.index(),
                    RECORD_ATTEMPTS);
        }
        work.lost.set(true); // not recorded: the next claim runs the line again
    }

    // Quotas (docs/batch.md): an owner over its batch token budget gets no new lines started until the window frees
    // tokens. The registry says so with each recorded line; lines in flight finish and are recorded.

    private void noteBudget(Work work, RecordLineResultResponse response) {
        if (response.getOwnerOverBudget() && work.overBudget.compareAndSet(false, true)) {
            log.info("batch {}: owner {} has used its batch token budget ({} tokens in the last 24 h); no more lines start",
                    work.batch.getId(), work.batch.getOwner(), response.getOwnerTokensLastDay());
        }
    }

    /**
     * A batch stopped for its owner's budget is not finalized (unless it is cancelling, failed or past its window):
     * its lease runs out and a later claim resumes it, which the registry grants once the owner is under budget (a
     * batch whose lines all have a result is handed out at once and finalized then).
     */
    private boolean leftForLaterClaim(Work work) {
        return work.overBudget.get() && !work.cancelling.get() && work.failure == null
                && Instant.now().getEpochSecond() < work.batch.getExpiresAt();
    }

    private void finalizeBatch(Batch batch, BatchError failure) {
        var request = FinalizeBatchRequest.newBuilder().setRunnerId(runnerId).setBatchId(batch.getId());
        if (failure != null) {
            request.addFailure(failure);
        }
        Batch ended = call().finalizeBatch(request.build());
        log.info("batch {} {}: {} completed, {} failed", ended.getId(), ended.getStatus(), ended.getCompleted(), ended.getFailed());
    }

    /** The input file as one stream, fetched chunk by chunk as the reader gets to it. */
    private InputStream content(Batch batch) {
        Iterator<FileChunk> chunks = registry.readFileContent(ReadFileContentRequest.newBuilder().setOwner(batch.getOwner())
                .setFileId(batch.getInputFileId()).build());
        return new SequenceInputStream(new Enumeration<>() {
            @Override
            public boolean hasMoreElements() {
                return chunks.hasNext();
            }

            @Override
            public InputStream nextElement() {
                return chunks.next().getData().newInput();
            }
        });
    }

    /** The state of the batch this runner works on. */
    private final class Work {
        final Batch batch;
        final AtomicBoolean cancelling = new AtomicBoolean();
        final AtomicBoolean lost = new AtomicBoolean();
        final AtomicBoolean overBudget = new AtomicBoolean();
        volatile BatchError failure;
        /** Lines that had a result when the batch was claimed. */
        private final int doneAtClaim;
        private final String objective;
        // touched by the reading thread only
        private String model;
        private int dealt;
        private double promptTokens;
        private long maxTokens;
        private int sized;
        private long nextPlanAt;
        private boolean planned;
        private LineAssignment assignment;
        // results, from the lines' threads
        private final java.util.concurrent.atomic.LongAdder ranLines = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder ranOutputTokens = new java.util.concurrent.atomic.LongAdder();
        private final java.util.Map<String, LineTimes> lineTimes = new java.util.concurrent.ConcurrentHashMap<>();
        volatile String plan = "";

        Work(Batch batch, int doneAtClaim) {
            this.batch = batch;
            this.doneAtClaim = doneAtClaim;
            this.objective = objective(batch);
            cancelling.set(batch.getStatus() == BatchStatus.BATCH_STATUS_CANCELLING);
        }

        /**
         * The worker the plan deals this line to, planning first when no plan is current; empty for a line that is
         * not planned (it does not generate, it asks for another model than the batch's first line, or no worker
         * serves the model now). Sets {@link #failure} when the first plan of a batch nothing has run of finds its
         * window impossible.
         */
        String deal(BatchLine line) {
            var size = line.size();
            if (size.isEmpty()) {
                return "";
            }
            if (model == null) {
                model = size.get().model();
            }
            if (!model.equals(size.get().model())) {
                return "";
            }
            dealt++;
            promptTokens += size.get().promptTokens();
            maxTokens += size.get().maxTokens() > 0 ? size.get().maxTokens() : PLANNING_MAX_TOKENS;
            sized++;
            long now = System.nanoTime();
            if (assignment == null || now - nextPlanAt >= 0) {
                replan(now);
            }
            return assignment == null ? "" : assignment.next();
        }

        private void replan(long now) {
            nextPlanAt = now + properties.replanInterval().toNanos();
            long ran = ranLines.sum();
            int left = Math.max(1, batch.getTotal() - doneAtClaim - dealt + 1);
            double secondsLeft = batch.getExpiresAt() - Instant.now().toEpochMilli() / 1000.0;
            var request = new BatchPlanning.Request(objective, model, left, promptTokens / sized, (int) (maxTokens / sized),
                    ran >= MEASURED_LINES ? (double) ranOutputTokens.sum() / ran : Double.NaN, measuredLineSeconds(), secondsLeft,
                    properties.concurrency());
            var made = planning.plan(request);
            if (made.isEmpty()) {
                assignment = null;
                return;
            }
            LinePlan current = made.get();
            if (!planned && doneAtClaim == 0 && current.impossible()) {
                failure = BatchError.newBuilder().setCode("completion_window_too_short").setMessage(String.format(
                        java.util.Locale.ROOT, "The batch's %d requests need at least %.0f s on the workers serving %s now, "
                                + "but its completion window leaves %.0f s.", current.lines(), current.earliestSeconds(),
                        model, current.secondsLeft())).build();
                log.info("batch {}: {}", batch.getId(), failure.getMessage());
                return;
            }
            planned = true;
            assignment = new LineAssignment(current.shares());
            plan = current.describe();
            renew(); // the plan reaches the batch object now, not at the next heartbeat
            metrics.planned(current);
            log.info("batch {} planned: {}", batch.getId(), plan);
        }

        void ran(LineExecutor.LineResult result) {
            if (result.ok() && result.outputTokens() > 0) {
                ranLines.increment();
                ranOutputTokens.add(result.outputTokens());
                if (!result.workerId().isEmpty()) {
                    lineTimes.computeIfAbsent(result.workerId(), w -> new LineTimes()).add(result.seconds());
                }
            }
        }

        /** Mean wall time of a line per worker that finished at least {@value #MEASURED_LINES} of them. */
        private java.util.Map<String, Double> measuredLineSeconds() {
            var measured = new java.util.HashMap<String, Double>();
            lineTimes.forEach((worker, times) -> {
                if (times.lines.sum() >= MEASURED_LINES) {
                    measured.put(worker, times.seconds.sum() / times.lines.sum());
                }
            });
            return measured;
        }

        boolean stopping() {
            return cancelling.get() || lost.get() || stopped.get() || overBudget.get()
                    || Instant.now().getEpochSecond() >= batch.getExpiresAt();
        }

        void renew() {
            try {
                Batch renewed = call().renewBatchLease(RenewBatchLeaseRequest.newBuilder().setRunnerId(runnerId)
                        .setBatchId(batch.getId()).setLeaseSeconds(leaseSeconds()).setPlan(plan).build());
                if (renewed.getStatus() == BatchStatus.BATCH_STATUS_CANCELLING) {
                    cancelling.set(true);
                }
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION || e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    lost.set(true);
                }
            }
        }
    }

    private static final class LineTimes {
        final java.util.concurrent.atomic.LongAdder lines = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.DoubleAdder seconds = new java.util.concurrent.atomic.DoubleAdder();

        void add(double lineSeconds) {
            lines.increment();
            seconds.add(lineSeconds);
        }
    }

    /** The batch's own choice ({@value #PLAN_METADATA_KEY} metadata), else the runner's. */
    private String objective(Batch batch) {
        String chosen = batch.getMetadataMap().getOrDefault(PLAN_METADATA_KEY, "").strip().toLowerCase(java.util.Locale.ROOT);
        return BatchPlanning.ENERGY_FIRST.equals(chosen) || BatchPlanning.LATENCY_FIRST.equals(chosen) ? chosen : properties.plan();
    }

    private BatchStoreGrpc.BatchStoreBlockingStub call() {
        return registry.withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private int leaseSeconds() {
        return (int) Math.max(1, properties.lease().toSeconds());
    }

    private boolean sleep(Duration duration) {
        try {
            Thread.sleep(duration);
            return !stopped.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String defaultRunnerId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "scheduler";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
