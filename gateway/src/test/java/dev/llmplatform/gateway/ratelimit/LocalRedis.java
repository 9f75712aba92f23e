package dev.llmplatform.gateway.ratelimit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Assumptions;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * The machine's Redis on 127.0.0.1:6379. Tests that need it are skipped where it is not running, unless
 * REQUIRE_REDIS=true, where its absence fails them.
 */
public final class LocalRedis {

    public static final String HOST = "127.0.0.1";
    public static final int PORT = 6379;

    private LocalRedis() {
    }

    public static void assumeRunning() {
        boolean up;
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, PORT), 1000);
            up = true;
        } catch (IOException e) {
            up = false;
        }
        if (Boolean.parseBoolean(System.getenv("REQUIRE_REDIS"))) {
            if (!up) {
                throw new IllegalStateException("REQUIRE_REDIS=true but no Redis answers on " + HOST + ":" + PORT);
            }
        } else {
            Assumptions.assumeTrue(up, "no Redis on " + HOST + ":" + PORT);
        }
    }

    public static LettuceConnectionFactory connect(String host, int port) {
        var factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration(host, port));
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }

    public static ReactiveStringRedisTemplate template(LettuceConnectionFactory factory) {
        return new ReactiveStringRedisTemplate(factory);
    }
}
