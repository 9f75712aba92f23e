package dev.llmplatform.registry.infra.quantize;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The one queue of work the registry hands the quantizing worker: quantize jobs and measurements run one after
 * another, so that measurements are not timed while the same worker quantizes, and the worker never gets more than
 * one of these at a time from this registry. Nothing runs before {@code startDelay} after the registry started: a
 * platform starting on a small machine has every core busy booting services, and a decode speed measured then says
 * nothing about the variant.
 */
public class WorkerJobs implements AutoCloseable {

    private final ExecutorService queue = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("quantizer-jobs").factory());
    private final Instant notBefore;

    public WorkerJobs(Duration startDelay) {
        this.notBefore = Instant.now().plus(startDelay);
    }

    public void submit(Runnable work) {
        queue.execute(() -> {
            Duration wait = Duration.between(Instant.now(), notBefore);
            if (!wait.isNegative()) {
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            work.run();
        });
    }

    @Override
    public void close() {
        queue.shutdownNow();
    }
}
