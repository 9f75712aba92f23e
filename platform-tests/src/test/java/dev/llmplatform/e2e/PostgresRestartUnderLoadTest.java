package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The registry's PostgreSQL server restarts under load: serving does not touch the database, so no request may
 * fail, and the registry must reconnect by itself and answer with everything it held. Restarting the shared
 * database server disturbs everyone using it, hence only with RESTART_POSTGRES=true (CI sets it); the registry
 * gets a schema of its own for the run ({@link PostgresRegistry}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@EnabledIfEnvironmentVariable(named = "RESTART_POSTGRES", matches = "true")
class PostgresRestartUnderLoadTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private LocalPlatform platform;
    private PostgresRegistry database;

    @BeforeAll
    void startPlatformWithTheRegistryOnPostgres() throws Exception {
        platform = new LocalPlatform("sk-pgfault-" + System.nanoTime()).start();
        database = PostgresRegistry.moveOnto(platform, "fault_registry");
    }

    @AfterAll
    void stopPlatformAndDropSchema() throws Exception {
        if (platform != null) {
            platform.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void servingContinuesWhileTheDatabaseRestartsAndTheRegistryReconnects() throws Exception {
        List<String> registeredBefore = RegistrySnapshot.of(platform);
        assertThat(registeredBefore).isNotEmpty();

        var load = new SteadyLoad(platform, 2, 12, 2_000, Duration.ofMinutes(5)).start();
        long restartBegan;
        long restartEnded;
        try {
            assertThat(load.awaitSucceeded(3, Duration.ofMinutes(1))).as("requests served before the fault").isTrue();
            restartBegan = System.nanoTime();
            database.restart();
            restartEnded = System.nanoTime();
            long servedSoFar = load.succeeded();
            assertThat(load.awaitSucceeded(servedSoFar + 3, Duration.ofMinutes(1))).as("requests served after the restart").isTrue();
        } finally {
            load.close();
        }
        SteadyLoad.Counts counts = load.counts(restartBegan, restartEnded);
        System.out.printf("[fault] PostgreSQL restart (%.1f s): %s%n", (restartEnded - restartBegan) / 1e9, counts);

        assertThat(counts.errors()).as("errors of failed requests").isEmpty();
        assertThat(counts.failed()).isZero();
        assertThat(awaitRegistryReady(Duration.ofMinutes(1))).as("registry readiness after the restart").isTrue();
        assertThat(awaitSnapshot(registeredBefore, Duration.ofMinutes(1))).as("what the registry answers after the restart")
                .isEqualTo(registeredBefore);
    }

    private boolean awaitRegistryReady(Duration timeout) throws InterruptedException {
        var request = HttpRequest.newBuilder(platform.service("model-registry").actuator("health/readiness")).timeout(Duration.ofSeconds(5)).build();
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            try {
                if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return true;
                }
            } catch (IOException notYet) {
                // keep asking
            }
            Thread.sleep(500);
        }
        return false;
    }

    /** The registry's first queries after the restart may meet a dead pooled connection; it must recover within the time. */
    private List<String> awaitSnapshot(List<String> expected, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        List<String> last = List.of();
        while (System.nanoTime() < until) {
            try {
                last = RegistrySnapshot.of(platform);
                if (last.equals(expected)) {
                    return last;
                }
            } catch (RuntimeException notYet) {
                // e.g. UNAVAILABLE while its pool reconnects
            }
            Thread.sleep(500);
        }
        return last;
    }
}
