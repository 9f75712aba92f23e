package dev.llmplatform.registry;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The restart scenario against a throw-away PostgreSQL container where Docker exists (skipped otherwise; the same
 * scenario runs against the local server in {@link RegistryRestartTest}).
 */
@Testcontainers(disabledWithoutDocker = true)
class RegistryOnPostgresContainerTest {

    @Container
    static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer("postgres:17-alpine");

    @TempDir
    Path artifacts;

    @Test
    void aRestartedRegistryStillHasEveryVersionAndTheAlias() throws Exception {
        var restart = new RegistryRestart(Map.of(
                "spring.datasource.url", POSTGRES.getJdbcUrl(),
                "spring.datasource.username", POSTGRES.getUsername(),
                "spring.datasource.password", POSTGRES.getPassword()), artifacts);
        String sha256;
        try (var registry = restart.start()) {
            sha256 = RegistryRestart.registerAndPromoteVersion2(registry);
        }
        try (var registry = restart.start()) {
            RegistryRestart.assertVersion2InProduction(registry, sha256);
        }
    }
}
