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
 * run again. Lines run in file order, {@code concurrency} at a time; planning them over the pools by energy within
 * the completion window (BatchPlanner) is not done yet (docs/batch.md).
 */
public final class BatchRunner {

    private static final Logger log = LoggerFactory.getLogger(BatchRunner.class);
    private static final int RECORD_ATTEMPTS = 60;
    private static final int MAX_FAILURES = 3;

    private final BatchStoreGrpc.BatchStoreBlockingStub registry;
    private final LineExecutor executor;
    private final BatchRunnerProperties properties;
    private final String runnerId;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile Thread loop;

    public BatchRunner(BatchStoreGrpc.BatchStoreBlockingStub registry, LineExecutor executor, BatchRunnerProperties properties) {
        this.registry = registry;
        this.executor = executor;
        this.properties = properties;
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
        var work = new Work(batch);
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
            finalizeBatch(batch, work.failure);
        } finally {
            heartbeat.shutdownNow();
        }
    }

    private void runLines(Work work, Set<Integer> done) {
        Batch batch = work.batch;
        var slots = new Semaphore(properties.concurrency());
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
                BatchLine line = BatchLine.parse(lineIndex, text, batch.getEndpoint(), properties.priority(),
                        batch.getId() + "-" + lineIndex);
                slots.acquire();
                inFlight.submit(() -> {
                    try {
                        runLine(work, line);
                    } finally {
                        slots.release();
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
                .setInputTokens(result.inputTokens()).setOutputTokens(result.outputTokens()).build();
        for (int attempt = 1; attempt <= RECORD_ATTEMPTS && !stopped.get(); attempt++) {
            try {
                RecordLineResultResponse response = call().recordLineResult(request);
                if (response.getStatus() == BatchStatus.BATCH_STATUS_CANCELLING) {
                    work.cancelling.set(true);
                }
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
        volatile BatchError failure;

        Work(Batch batch) {
            this.batch = batch;
            cancelling.set(batch.getStatus() == BatchStatus.BATCH_STATUS_CANCELLING);
        }

        boolean stopping() {
            return cancelling.get() || lost.get() || stopped.get()
                    || Instant.now().getEpochSecond() >= batch.getExpiresAt();
        }

        void renew() {
            try {
                Batch renewed = call().renewBatchLease(RenewBatchLeaseRequest.newBuilder().setRunnerId(runnerId)
                        .setBatchId(batch.getId()).setLeaseSeconds(leaseSeconds()).build());
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
