package dev.llmplatform.worker.cpu.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Retiring an engine during a model switch: running generations finish on it, later ones go to its successor. */
class DrainingEngineTest {

    /** An engine whose generation blocks until released, and which remembers being closed. */
    static final class BlockingEngine implements GenerationEngine {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
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
        public GenerationOutcome generate(GenerationRequest request, TextSink sink, BooleanSupplier cancelled) {
            if (closed.get()) {
                throw new IllegalStateException(name + " is closed");
            }
            started.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sink.accept(name, 1);
            return new GenerationOutcome.Stopped(1);
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    private static final GenerationRequest REQUEST = new GenerationRequest("r", new int[] {1}, 4, 0f, 1f, 0, OptionalLong.empty(), List.of(), 0f, 0f);

    private static String generate(GenerationEngine engine) {
        var text = new StringBuilder();
        engine.generate(REQUEST, (piece, n) -> text.append(piece), () -> false);
        return text.toString();
    }

    @Test
    void aRetiredEngineClosesOnlyAfterItsRunningGenerationEnds() throws Exception {
        var old = new BlockingEngine("old");
        var draining = new DrainingEngine(old, Optional::empty);
        var result = new StringBuilder();
        Thread running = Thread.ofPlatform().start(() -> result.append(generate(draining)));
        assertThat(old.started.await(5, TimeUnit.SECONDS)).isTrue();

        draining.close();

        assertThat(old.closed).isFalse();
        old.release.countDown();
        running.join(5_000);
        assertThat(result.toString()).isEqualTo("old");
        assertThat(old.closed).isTrue();
    }

    @Test
    void aGenerationThatArrivesAfterRetirementRunsOnTheSuccessor() {
        var old = new BlockingEngine("old");
        var next = new BlockingEngine("new");
        next.release.countDown();
        var draining = new DrainingEngine(old, () -> Optional.of(next));

        draining.close();

        assertThat(old.closed).isTrue();
        assertThat(generate(draining)).isEqualTo("new");
    }

    @Test
    void withoutASuccessorALateGenerationFailsClearly() {
        var draining = new DrainingEngine(new BlockingEngine("old"), Optional::empty);
        draining.close();

        assertThatThrownBy(() -> generate(draining)).hasMessageContaining("model m was unloaded");
    }
}
