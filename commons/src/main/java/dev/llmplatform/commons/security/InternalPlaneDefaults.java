package dev.llmplatform.commons.security;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Turns {@code platform.security.*} into the Spring Boot and Spring gRPC settings of the internal plane, in one
 * place instead of six copies: every port binds to loopback unless configured wider; with security enabled, an
 * SSL bundle {@code platform} from the service's certificate and the platform CA, mutual TLS on the gRPC server,
 * on every gRPC channel, on the HTTP port of internal services and on the gateway's proxy client; the management
 * port (health, prometheus) stays plain and on loopback. Added last, so application.yml, the command line and the
 * environment override each setting.
 */
public class InternalPlaneDefaults implements EnvironmentPostProcessor {

    static final String SOURCE_NAME = "llmPlatformInternalPlaneDefaults";
    public static final String BUNDLE = "platform";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("platform.security.identity", "${spring.application.name}");
        defaults.put("server.address", "127.0.0.1");
        defaults.put("spring.grpc.server.address", "127.0.0.1");
        defaults.put("management.server.address", "127.0.0.1");
        defaults.put("management.server.ssl.enabled", "false");
        boolean enabled = environment.getProperty("platform.security.enabled", Boolean.class, true);
        defaults.put("platform.security.internal-scheme", enabled ? "https" : "http");
        if (enabled) {
            String dir = environment.getProperty("platform.security.tls-dir", ".platform/certs");
            String identity = environment.resolvePlaceholders(
                    environment.getProperty("platform.security.identity", environment.getProperty("spring.application.name", "")));
            Path certificate = file(environment, "platform.security.tls-certificate", Path.of(dir, identity + ".crt"));
            Path privateKey = file(environment, "platform.security.tls-private-key", Path.of(dir, identity + ".key"));
            Path ca = file(environment, "platform.security.tls-ca", Path.of(dir, PlatformCertificates.CA_CERT));
            requireFiles(certificate, privateKey, ca);
            String bundle = "spring.ssl.bundle.pem." + BUNDLE + ".";
            defaults.put(bundle + "keystore.certificate", "file:" + certificate);
            defaults.put(bundle + "keystore.private-key", "file:" + privateKey);
            defaults.put(bundle + "truststore.certificate", "file:" + ca);
            // a rotated certificate is picked up without a restart (docs/security.md)
            defaults.put(bundle + "reload-on-update", "true");
            defaults.put("spring.grpc.server.ssl.bundle", BUNDLE);
            defaults.put("spring.grpc.server.ssl.client-auth", "require");
            defaults.put("spring.grpc.client.channel.default.ssl.bundle", BUNDLE);
            defaults.put("spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle", BUNDLE);
            if (environment.getProperty("platform.security.internal-http", Boolean.class, true)) {
                defaults.put("server.ssl.bundle", BUNDLE);
                defaults.put("server.ssl.client-auth", "need");
            }
        }
        environment.getPropertySources().addLast(new MapPropertySource(SOURCE_NAME, defaults));
    }

    private static Path file(ConfigurableEnvironment environment, String property, Path otherwise) {
        String configured = environment.getProperty(property, "");
        return configured.isBlank() ? otherwise : Path.of(configured);
    }

    /** Fails the start with what to do, rather than with a stack trace from deep in the SSL bundle loader. */
    private static void requireFiles(Path... files) {
        for (Path file : files) {
            if (!Files.isReadable(file)) {
                throw new IllegalStateException("platform.security.enabled=true but " + file.toAbsolutePath() + " is missing: "
                        + "./platform up issues the local certificates (docs/security.md); point platform.security.tls-dir "
                        + "at this service's certificate, CA and key");
            }
        }
    }
}
