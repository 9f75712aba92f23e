package dev.llmplatform.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.gateway.config.GatewayProperties;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

class GatewayPropertiesTest {

    @Test
    void bindsCommaSeparatedKeysFromTheEnvironment() {
        GatewayProperties properties = bind(Map.of("GATEWAY_API_KEYS", "sk-a,sk-b", "GATEWAY_ADMIN_KEYS", "adm"));

        assertThat(properties.apiKeys()).containsExactly("sk-a", "sk-b");
        assertThat(properties.adminKeys()).containsExactly("adm");
    }

    @Test
    void bindsHashedKeysFromTheEnvironment() {
        GatewayProperties properties = bind(Map.of("GATEWAY_KEYS_0_NAME", "team-a", "GATEWAY_KEYS_0_SHA256", "ab".repeat(32),
                "GATEWAY_KEYS_0_SCOPES", "inference,admin", "GATEWAY_KEYS_0_TOKENSPERMINUTE", "5000",
                "GATEWAY_KEYS_0_BATCHTOKENSPERDAY", "2000000"));

        var key = properties.keys().getFirst();
        assertThat(key.name()).isEqualTo("team-a");
        assertThat(key.scopes()).containsExactly("inference", "admin");
        assertThat(key.requestsPerMinute()).isEqualTo(600);
        assertThat(key.tokensPerMinute()).isEqualTo(5000);
        assertThat(key.batchTokensPerDay()).isEqualTo(2_000_000);
    }

    @Test
    void hasDocumentedDefaults() {
        GatewayProperties properties = bind(Map.of());

        assertThat(properties.apiKeys()).isEmpty();
        assertThat(properties.rateLimit().store()).isEqualTo("memory");
        assertThat(properties.resilience().timeToFirstToken("chat-completions")).isEqualTo(Duration.ofSeconds(60));
        assertThat(properties.maxChoices()).isEqualTo(16);
        assertThat(properties.schedulerTarget()).isEqualTo("static://127.0.0.1:9095");
        assertThat(properties.generationTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(properties.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(properties.maxRequestBytes().toBytes()).isEqualTo(1024 * 1024);
        assertThat(properties.httpHeaderTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(properties.httpIdleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(properties.maxConnections()).isEqualTo(2048);
        assertThat(properties.maxAdminUploadBytes().toGigabytes()).isEqualTo(16);
        assertThat(properties.keysFile()).isEmpty();
        assertThat(properties.authFailures().maxPerMinute()).isEqualTo(20);
        assertThat(properties.authFailures().trustedProxies()).isEmpty();
        assertThat(properties.limits().maxMessages()).isEqualTo(2048);
        assertThat(properties.limits().maxPromptCharacters()).isEqualTo(1_000_000);
        assertThat(properties.limits().maxSchemaBytes().toKilobytes()).isEqualTo(64);
        assertThat(properties.limits().maxEmbeddingInputs()).isEqualTo(2048);
    }

    private static GatewayProperties bind(Map<String, Object> env) {
        var environment = new StandardEnvironment();
        // under the system environment's own name, so that indexed names (GATEWAY_KEYS_0_NAME) map as in production
        environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, env));
        return new Binder(ConfigurationPropertySources.get(environment))
                .bindOrCreate("gateway", GatewayProperties.class);
    }
}
