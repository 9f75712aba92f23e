package dev.llmplatform.worker.core.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Retiring an engine during a model switch: running generations finish on it, later ones go to its successor. */
class DrainingEngineTest {

    /** An engine whose generations end when released, and which remembers being closed. */
    static final class BlockingEngine implements GenerationEngine {
        final CompletableFuture<Void> release = new CompletableFuture<>();
        final AtomicBoolean closed = new AtomicBoolean();
        final String name;

        BlockingEngine(String name) {
            this.name = name;
        }

        @Override
        public String modelId() {
            return "m";
        }

        @Override
        public int contextPerSequence() {
            return 64;
        }

        @Override
        public int slots() {
            return 1;
        }

        @Override
        public CompletableFuture<GenerationOutcome> submit(GenerationRequest request, TextSink sink, BooleanSupplier cancelled) {
            if (closed.get()) {
                throw new IllegalStateException(name + " is closed");
            }
            return release.thenApply(done -> {
                sink.accept(name, 1);
                return new GenerationOutcome.Stopped(1);
            });
        }

        @Override
        public EngineLoad load() {
            return EngineLoad.IDLE;
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    private static final GenerationRequest REQUEST = new GenerationRequest("r", new int[] {1}, 4, 0f, 1f, 0, OptionalLong.empty(), List.of(), 0f, 0f);

    private record Result(String text, GenerationOutcome outcome) {
    }

    private static CompletableFuture<Result> generate(GenerationEngine engine) {
        var text = new StringBuffer();
        return engine.submit(REQUEST, (piece, n) -> text.append(piece), () -> false)
                .thenApply(outcome -> new Result(text.toString(), outcome));
    }

    @Test
    void aRetiredEngineClosesOnlyAfterItsRunningGenerationEnds() throws Exception {
        var old = new BlockingEngine("old");
        var draining = new DrainingEngine(old, Optional::empty);
        var running = generate(draining);

        draining.close();

        assertThat(old.closed).isFalse();
        old.release.complete(null);
        assertThat(running.get(5, TimeUnit.SECONDS).text()).isEqualTo("old");
        assertThat(old.closed).isTrue();
        assertThat(draining.isClosed()).isTrue();
    }

    @Test
    void aGenerationThatArrivesAfterRetirementRunsOnTheSuccessor() throws Exception {
        var old = new BlockingEngine("old");
        var next = new BlockingEngine("new");
        next.release.complete(null);
        var draining = new DrainingEngine(old, () -> Optional.of(next));

        draining.close();

        assertThat(old.closed).isTrue();
        assertThat(generate(draining).get(5, TimeUnit.SECONDS).text()).isEqualTo("new");
    }

    @Test
    void withoutASuccessorALateGenerationFailsClearly() throws Exception {
        var draining = new DrainingEngine(new BlockingEngine("old"), Optional::empty);
        draining.close();

        assertThat(generate(draining).get(5, TimeUnit.SECONDS).outcome())
                .isEqualTo(new GenerationOutcome.Failed(0, "model m was unloaded"));
    }
}
