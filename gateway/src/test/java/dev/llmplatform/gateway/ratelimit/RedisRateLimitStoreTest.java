package dev.llmplatform.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** The Lua script against the machine's Redis, under a prefix of this run's own. */
class RedisRateLimitStoreTest extends RateLimitStoreContract {

    static LettuceConnectionFactory connection;
    static RedisRateLimitStore store;
    static final String PREFIX = "test:gateway:" + System.nanoTime() + ":";

    @BeforeAll
    static void connect() {
        LocalRedis.assumeRunning();
        connection = LocalRedis.connect(LocalRedis.HOST, LocalRedis.PORT);
        store = new RedisRateLimitStore(LocalRedis.template(connection), PREFIX);
    }

    @AfterAll
    static void disconnect() {
        if (connection != null) {
            var redis = LocalRedis.template(connection);
            redis.keys(PREFIX + "*").flatMap(redis::delete).blockLast(Duration.ofSeconds(5));
            connection.destroy();
        }
    }

    @Override
    RateLimitStore store() {
        return store;
    }

    @Test
    void keepsBothBucketsOfAKeyInOneClusterSlotAndExpiresThem() {
        store.acquire(key, new Budget(5, 50), 1, 10).block(Duration.ofSeconds(5));

        var redis = LocalRedis.template(connection);
        var keys = redis.keys(PREFIX + "{" + key + "}*").collectList().block(Duration.ofSeconds(5));
        assertThat(keys).containsExactlyInAnyOrder(PREFIX + "{" + key + "}:requests", PREFIX + "{" + key + "}:tokens");
        assertThat(redis.getExpire(keys.getFirst()).block(Duration.ofSeconds(5))).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(2));
    }
}
