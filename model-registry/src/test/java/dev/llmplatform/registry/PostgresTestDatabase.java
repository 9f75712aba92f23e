package dev.llmplatform.registry;

import java.util.UUID;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The PostgreSQL server these machines run on 127.0.0.1:5432 (database {@code test}, trust auth); each test
 * class gets a fresh schema so runs never see each other's rows. Override with REGISTRY_TEST_DB_URL.
 */
final class PostgresTestDatabase {

    private PostgresTestDatabase() {
    }

    private static final String URL = System.getenv().getOrDefault("REGISTRY_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    private static final String USER = System.getenv().getOrDefault("REGISTRY_TEST_DB_USER", "postgres");

    /**
     * Skips the calling test class when no PostgreSQL answers, unless REQUIRE_POSTGRES=true (as in CI), where a
     * missing server is a failure.
     */
    static void assumeReachable() {
        try (var connection = java.sql.DriverManager.getConnection(URL, USER, "")) {
            connection.isValid(2);
        } catch (java.sql.SQLException e) {
            if (Boolean.parseBoolean(System.getenv("REQUIRE_POSTGRES"))) {
                throw new IllegalStateException("PostgreSQL at " + URL + " is required but not reachable", e);
            }
            org.junit.jupiter.api.Assumptions.abort("PostgreSQL at " + URL + " is not reachable: " + e.getMessage());
        }
    }

    static void register(DynamicPropertyRegistry registry) {
        String schema = "registry_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        registry.add("spring.datasource.url", () -> URL + "?currentSchema=" + schema);
        registry.add("spring.datasource.username", () -> USER);
        registry.add("spring.datasource.password", () -> "");
        registry.add("spring.flyway.schemas", () -> schema);
        registry.add("spring.flyway.create-schemas", () -> "true");
    }
}
