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

    static final String URL = System.getenv().getOrDefault("REGISTRY_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String USER = System.getenv().getOrDefault("REGISTRY_TEST_DB_USER", "postgres");

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

    static String newSchema() {
        return "registry_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    static void register(DynamicPropertyRegistry registry) {
        String schema = newSchema();
        properties(schema).forEach((k, v) -> registry.add(k, () -> v));
    }

    /** Spring properties that put the registry into {@code schema} on the local server. */
    static java.util.Map<String, String> properties(String schema) {
        return java.util.Map.of(
                "spring.datasource.url", URL + "?currentSchema=" + schema,
                "spring.datasource.username", USER,
                "spring.datasource.password", "",
                "spring.flyway.schemas", schema,
                "spring.flyway.create-schemas", "true");
    }

    /** Drops a schema a test created; best effort, the server may be gone. */
    static void drop(String schema) {
        try (var connection = java.sql.DriverManager.getConnection(URL, USER, "");
             var statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (java.sql.SQLException ignored) {
            // the schema name is unique; leaving it behind harms no one
        }
    }
}
