package dev.llmplatform.gateway;

import dev.llmplatform.gateway.ratelimit.LocalRedis;
import org.junit.jupiter.api.BeforeAll;

/** The shared budget on the machine's Redis (127.0.0.1:6379), keys under a prefix of this run's own. */
class SharedBudgetOnLocalRedisTest extends SharedBudgetAcrossReplicasSpec {

    @BeforeAll
    static void redis() {
        LocalRedis.assumeRunning();
    }

    @Override
    String redisHost() {
        return LocalRedis.HOST;
    }

    @Override
    int redisPort() {
        return LocalRedis.PORT;
    }
}
