package dev.llmplatform.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends the prompt set to a target: requests arrive as a Poisson process of the given rate (or all at once
 * when the rate is infinite) and at most {@code concurrency} are in flight. Bounded by the number of prompts
 * and by {@code maxDuration}: no request starts after it, and those still running are awaited one more
 * {@code maxDuration} at most before the run gives up on them.
 */
public final class LoadGenerator {

    /** How the requests arrive. */
    public record Arrivals(int concurrency, double requestsPerSecond, long seed) {

        public Arrivals {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1");
            }
            if (!(requestsPerSecond > 0)) {
                throw new IllegalArgumentException("the request rate must be positive (or infinite)");
            }
        }

        /** The wait before the next arrival: exponential for a Poisson process, none for an infinite rate. */
        long nextGapNanos(SplittableRandom random) {
            if (Double.isInfinite(requestsPerSecond)) {
                return 0;
            }
            return (long) (-Math.log(1.0 - random.nextDouble()) / requestsPerSecond * 1e9);
        }
    }

    /** A run's records (in completion order) and how long it took from the first arrival to the last response. */
    public record Run(String target, Arrivals arrivals, List<RequestRecord> records, long durationNanos, boolean cutShort) {
    }

    private final PrintStream progress;

    public LoadGenerator(PrintStream progress) {
        this.progress = progress;
    }

    public Run run(Target target, List<BenchPrompt> prompts, Sampling sampling, Arrivals arrivals, Duration maxDuration)
            throws InterruptedException {
        var records = Collections.synchronizedList(new ArrayList<RequestRecord>(prompts.size()));
        var inFlight = new Semaphore(arrivals.concurrency());
        var done = new AtomicInteger();
        var failed = new AtomicInteger();
        var bar = new ProgressBar(progress, target.name() + " c=" + arrivals.concurrency(), prompts.size());
        var random = new SplittableRandom(arrivals.seed());
        long start = System.nanoTime();
        long deadline = start + maxDuration.toNanos();
        boolean cutShort = false;
        ExecutorService pool = Executors.newFixedThreadPool(arrivals.concurrency(), Thread.ofPlatform().daemon().factory());
        try {
            for (BenchPrompt prompt : prompts) {
                long gap = arrivals.nextGapNanos(random);
                if (gap > 0) {
                    TimeUnit.NANOSECONDS.sleep(Math.min(gap, Math.max(0, deadline - System.nanoTime())));
                }
                if (System.nanoTime() >= deadline
                        || !inFlight.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    cutShort = true;
                    break;
                }
                pool.execute(() -> {
                    try {
                        RequestRecord record = target.generate(prompt, sampling);
                        records.add(record);
                        if (!record.succeeded()) {
                            failed.incrementAndGet();
                        }
                        bar.update(done.incrementAndGet(), failed.get());
                    } finally {
                        inFlight.release();
                    }
                });
            }
        } finally {
            pool.shutdown();
            if (!pool.awaitTermination(maxDuration.toNanos(), TimeUnit.NANOSECONDS)) {
                cutShort = true;
                pool.shutdownNow();
            }
        }
        long duration = System.nanoTime() - start;
        bar.finish(done.get(), failed.get());
        return new Run(target.name(), arrivals, List.copyOf(records), duration, cutShort);
    }
}
