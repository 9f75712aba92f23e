package dev.llmplatform.gateway;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The shared budget on a throw-away Redis in Docker; skipped where there is no Docker engine. */
@Testcontainers(disabledWithoutDocker = true)
class SharedBudgetOnRedisContainerTest extends SharedBudgetAcrossReplicasSpec {

    @Container
    static final GenericContainer<?> redis = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);

    @Override
    String redisHost() {
        return redis.getHost();
    }

    @Override
    int redisPort() {
        return redis.getMappedPort(6379);
    }
}
