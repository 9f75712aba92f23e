package dev.llmplatform.registry;

import dev.llmplatform.registry.batch.BatchStoreContract;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The BatchStore contract on the local PostgreSQL server (skipped when none answers, unless REQUIRE_POSTGRES). */
class BatchStoreOnPostgresTest extends BatchStoreContract {

    @BeforeAll
    static void requirePostgres() {
        PostgresTestDatabase.assumeReachable();
    }

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        PostgresTestDatabase.register(registry);
    }
}
