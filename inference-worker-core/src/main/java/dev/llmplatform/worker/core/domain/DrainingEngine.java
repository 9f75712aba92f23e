package dev.llmplatform.worker.core.domain;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * An engine that can be retired while generations run on it, so that a model can be switched to a new version
 * without failing a request: generations already running finish on it, it closes when the last one ends, and a
 * generation that starts after it closed (a request that looked the engine up just before the switch) runs on
 * its successor, the engine now serving the same model.
 */
public final class DrainingEngine implements GenerationEngine {

    private static final int CLOSED = -1;

    private final GenerationEngine engine;
    private final Supplier<Optional<GenerationEngine>> successor;
    /** Generations submitted to the engine and not yet ended, or CLOSED once it is closed. */
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean retired;

    public DrainingEngine(GenerationEngine engine, Supplier<Optional<GenerationEngine>> successor) {
        this.engine = engine;
        this.successor = successor;
    }

    @Override
    public String modelId() {
        return engine.modelId();
    }

    @Override
    public int contextPerSequence() {
        return engine.contextPerSequence();
    }

    @Override
    public int slots() {
        return engine.slots();
    }

    @Override
    public CompletableFuture<GenerationOutcome> submit(GenerationRequest request, TextSink sink, BooleanSupplier cancelled) {
        if (!acquire()) {
            Optional<GenerationEngine> next = successor.get().filter(e -> e != this);
            if (next.isEmpty()) {
                return CompletableFuture.completedFuture(new GenerationOutcome.Failed(0, "model " + modelId() + " was unloaded"));
            }
            return next.get().submit(request, sink, cancelled);
        }
        try {
            return engine.submit(request, sink, cancelled).whenComplete((outcome, failure) -> release());
        } catch (RuntimeException e) {
            release();
            throw e;
        }
    }

    @Override
    public EngineLoad load() {
        return isClosed() ? EngineLoad.IDLE : engine.load();
    }

    @Override
    public long[] cachedPrefixKeys() {
        return engine.cachedPrefixKeys();
    }

    @Override
    public long reusedPromptTokens() {
        return engine.reusedPromptTokens();
    }

    @Override
    public long restoredPromptTokens() {
        return engine.restoredPromptTokens();
    }

    @Override
    public long promptCacheBytes() {
        return engine.promptCacheBytes();
    }

    /** Generations running on this engine now. */
    public int running() {
        return Math.max(0, running.get());
    }

    public boolean isClosed() {
        return running.get() == CLOSED;
    }

    /** Stops taking new generations and closes the engine once the running ones have ended. */
    @Override
    public void close() {
        retired = true;
        closeIfIdle();
    }

    private void release() {
        if (running.decrementAndGet() == 0 && retired) {
            closeIfIdle();
        }
    }

    private boolean acquire() {
        while (true) {
            int current = running.get();
            if (current == CLOSED || retired) {
                return false;
            }
            if (running.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    private void closeIfIdle() {
        if (running.compareAndSet(0, CLOSED)) {
            engine.close();
        }
    }

    @Override
    public String toString() {
        return "DrainingEngine[" + engine + "]";
    }
}
