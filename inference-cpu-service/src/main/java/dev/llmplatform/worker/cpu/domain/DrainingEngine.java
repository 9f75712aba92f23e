package dev.llmplatform.worker.cpu.domain;

import java.util.Optional;
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
    /** Generations running on the engine, or CLOSED once it is closed. */
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
    public GenerationOutcome generate(GenerationRequest request, TextSink sink, BooleanSupplier cancelled) {
        if (!acquire()) {
            GenerationEngine next = successor.get().filter(e -> e != this)
                    .orElseThrow(() -> new IllegalStateException("model " + modelId() + " was unloaded"));
            return next.generate(request, sink, cancelled);
        }
        try {
            return engine.generate(request, sink, cancelled);
        } finally {
            if (running.decrementAndGet() == 0 && retired) {
                closeIfIdle();
            }
        }
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
