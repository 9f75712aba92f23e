package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The registry is only needed to find and load models: once the workers and the tokenizer hold them, serving must
 * go on while the registry is away, and the registry must come back with everything it had.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RegistryRestartUnderLoadTest {

    private static final Duration REGISTRY_ABSENCE = Duration.ofSeconds(10);

    private LocalPlatform platform;

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-fault-" + System.nanoTime()).start();
    }

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void servingContinuesWhileTheRegistryRestartsAndItComesBackWithEverythingRegistered() throws Exception {
        List<String> registeredBefore = RegistrySnapshot.of(platform);
        assertThat(registeredBefore).isNotEmpty();

        var load = new SteadyLoad(platform, 2, 12, 2_000, Duration.ofMinutes(5)).start();
        long stopped;
        long restarted;
        try {
            assertThat(load.awaitSucceeded(3, Duration.ofMinutes(1))).as("requests served before the fault").isTrue();

            stopped = System.nanoTime();
            platform.stop("model-registry");
            Thread.sleep(REGISTRY_ABSENCE.toMillis());
            restarted = System.nanoTime();
            platform.restart("model-registry");
            platform.awaitReady("model-registry", Duration.ofMinutes(3));

            long servedSoFar = load.succeeded();
            assertThat(load.awaitSucceeded(servedSoFar + 3, Duration.ofMinutes(1))).as("requests served after the restart").isTrue();
        } finally {
            load.close();
        }
        SteadyLoad.Counts counts = load.counts(stopped, restarted);
        System.out.println("[fault] registry restart (down " + REGISTRY_ABSENCE.toSeconds() + " s, then restarted): " + counts);

        assertThat(counts.errors()).as("errors of failed requests").isEmpty();
        assertThat(counts.failed()).isZero();
        assertThat(counts.inside()).as("requests served start to end while the registry was down").isPositive();
        assertThat(RegistrySnapshot.of(platform)).as("what the registry holds after its restart").isEqualTo(registeredBefore);
    }
}
