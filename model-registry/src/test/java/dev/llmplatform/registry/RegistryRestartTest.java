package dev.llmplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.registry.domain.Stage;
import dev.llmplatform.registry.infra.ModelStore;
import dev.llmplatform.registry.infra.RegistryOperations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * No registered version is lost when the registry restarts, or when the PostgreSQL server under it restarts
 * (the second only with RESTART_POSTGRES=true: it disrupts everyone else using the local server).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RegistryRestartTest {

    private final String schema = PostgresTestDatabase.newSchema();
    private ConfigurableApplicationContext registry;

    @TempDir
    Path artifacts;

    @BeforeAll
    static void requirePostgres() {
        PostgresTestDatabase.assumeReachable();
    }

    @AfterEach
    void stop() {
        if (registry != null) {
            registry.close();
        }
        PostgresTestDatabase.drop(schema);
    }

    @Test
    void aRestartedRegistryStillHasEveryVersionAndTheAlias() throws Exception {
        var restart = new RegistryRestart(PostgresTestDatabase.properties(schema), artifacts);
        registry = restart.start();
        String sha256 = RegistryRestart.registerAndPromoteVersion2(registry);
        registry.close();

        registry = restart.start();

        RegistryRestart.assertVersion2InProduction(registry, sha256);
        assertThat(registry.getBean(ModelStore.class).findById("tiny-kjv-chat").orElseThrow().versions()).hasSize(2);
    }

    @Test
    void aRestartedDatabaseServerLosesNothingAndTheRegistryReconnects() throws Exception {
        Assumptions.assumeTrue(Boolean.parseBoolean(System.getenv("RESTART_POSTGRES")),
                "set RESTART_POSTGRES=true to restart the local PostgreSQL server (disrupts other users of it)");
        var restart = new RegistryRestart(PostgresTestDatabase.properties(schema), artifacts);
        registry = restart.start();
        String sha256 = RegistryRestart.registerAndPromoteVersion2(registry);

        restartPostgres();

        RegistryRestart.assertVersion2InProduction(registry, sha256);
        registry.getBean(RegistryOperations.class).registerVersion("tiny-kjv-chat", "3", "after the database restart");
        registry.close();
        registry = restart.start();
        RegistryRestart.assertVersion2InProduction(registry, sha256);
        assertThat(registry.getBean(ModelStore.class).findById("tiny-kjv-chat").orElseThrow().version("3"))
                .hasValueSatisfying(v -> assertThat(v.stage()).isEqualTo(Stage.REGISTERED));
    }

    private static void restartPostgres() throws Exception {
        String cluster;
        try (var versions = Files.list(Path.of("/etc/postgresql"))) {
            cluster = versions.findFirst().orElseThrow().getFileName().toString();
        }
        Process process = new ProcessBuilder("pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart")
                .inheritIO().start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("pg_ctlcluster finished").isTrue();
        assertThat(process.exitValue()).as("pg_ctlcluster exit status").isZero();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try (var connection = java.sql.DriverManager.getConnection(PostgresTestDatabase.URL, PostgresTestDatabase.USER, "")) {
                if (connection.isValid(2)) {
                    return;
                }
            } catch (java.sql.SQLException notYet) {
                Thread.sleep(500);
            }
        }
        throw new AssertionError("PostgreSQL did not come back within 60 s");
    }
}
