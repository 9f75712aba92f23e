package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * gets a schema of its own for the run. REGISTRY_TEST_DB_URL / REGISTRY_TEST_DB_USER override the server, as in
 * model-registry's PostgreSQL tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@EnabledIfEnvironmentVariable(named = "RESTART_POSTGRES", matches = "true")
class PostgresRestartUnderLoadTest {

    private static final String URL = System.getenv().getOrDefault("REGISTRY_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    private static final String USER = System.getenv().getOrDefault("REGISTRY_TEST_DB_USER", "postgres");
    private static final String PASSWORD = System.getenv().getOrDefault("REGISTRY_TEST_DB_PASSWORD", "");

    private final String schema = "fault_registry_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalPlatform platform;

    /**
     * LocalPlatform serves the registry from H2; here it is moved to PostgreSQL (its own schema, migrated and seeded
     * with the default model on start) on the same ports before the test, so that it is the one under test.
     */
    @BeforeAll
    void startPlatformWithTheRegistryOnPostgres() throws Exception {
        platform = new LocalPlatform("sk-pgfault-" + System.nanoTime()).start();
        platform.stop("model-registry");
        platform.restart("model-registry", List.of(
                "--spring.datasource.url=" + URL + "?currentSchema=" + schema,
                "--spring.datasource.username=" + USER,
                "--spring.datasource.password=" + PASSWORD,
                "--spring.flyway.schemas=" + schema,
                "--spring.flyway.create-schemas=true"));
        platform.awaitReady("model-registry", Duration.ofMinutes(3));
    }

    @AfterAll
    void stopPlatformAndDropSchema() throws Exception {
        if (platform != null) {
            platform.close();
        }
        // best effort: the schema is unique to this run either way
        run(List.of("psql", "-h", "127.0.0.1", "-U", USER, "-d", "test", "-c", "drop schema if exists " + schema + " cascade"));
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
            String version;
            try (Stream<Path> versions = Files.list(Path.of("/etc/postgresql"))) {
                version = versions.map(p -> p.getFileName().toString()).sorted().findFirst().orElseThrow();
            }
            assertThat(run(List.of("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"))).as("pg_ctlcluster").isZero();
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

    private static int run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " did not finish in 2 minutes");
        }
        if (process.exitValue() != 0) {
            System.out.println(command + ": " + output);
        }
        return process.exitValue();
    }
}
