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

    static void register(DynamicPropertyRegistry registry) {
        String schema = "registry_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String base = System.getenv().getOrDefault("REGISTRY_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/test");
        registry.add("spring.datasource.url", () -> base + "?currentSchema=" + schema);
        registry.add("spring.datasource.username", () -> System.getenv().getOrDefault("REGISTRY_TEST_DB_USER", "postgres"));
        registry.add("spring.datasource.password", () -> "");
        registry.add("spring.flyway.schemas", () -> schema);
        registry.add("spring.flyway.create-schemas", () -> "true");
    }
}
