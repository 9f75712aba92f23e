package dev.llmplatform.gateway.config;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Logging defaults of the gateway, as the last property source so that application.yml, the command line and the
 * environment (LOGGING_LEVEL_...) still win. Reactor Netty logs a WARN "Decoding failed" for every connection
 * that closes before its request head is complete (each slow-loris the head timeout closes, each half-sent
 * request of a flood) and for every malformed head, which it answers with a 400 anyway: under a flood that is
 * one log line per connection. Those are counted (gateway.connections.dropped) instead.
 */
public class GatewayLoggingDefaults implements EnvironmentPostProcessor {

    static final String SOURCE_NAME = "gatewayLoggingDefaults";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        environment.getPropertySources().addLast(new MapPropertySource(SOURCE_NAME,
                Map.of("logging.level.reactor.netty.http.server.HttpServerOperations", "ERROR")));
    }
}
