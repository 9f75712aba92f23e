package dev.llmplatform.registry.infra.quantize;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The one queue of work the registry hands the quantizing worker: quantize jobs and measurements run one after
 * another, so that measurements are not timed while the same worker quantizes, and the worker never gets more than
 * one of these at a time from this registry.
 */
public class WorkerJobs implements AutoCloseable {

    private final ExecutorService queue = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("quantizer-jobs").factory());

    public void submit(Runnable work) {
        queue.execute(work);
    }

    @Override
    public void close() {
        queue.shutdownNow();
    }
}
