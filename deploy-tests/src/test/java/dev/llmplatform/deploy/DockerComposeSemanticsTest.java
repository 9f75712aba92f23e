package dev.llmplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml runs the internal plane as the services expect it: a one-shot "certs" service issues the
 * certificates into a volume that every service mounts read-only and waits for; the management ports run TLS and
 * the health checks use them; Prometheus gets its scrape certificate. (Parsed here, so it runs without docker-compose.)
 */
@SuppressWarnings("unchecked")
class DockerComposeSemanticsTest {

    private static final Map<String, Integer> MANAGEMENT = Map.of("gateway", 8180, "model-registry", 8181,
            "tokenizer-service", 8182, "inference-cpu-service", 8183, "inference-gpu-service", 8184, "scheduler-service", 8185);

    private final Map<String, Object> compose = ChartFixture.readYaml(ChartFixture.REPOSITORY.resolve("docker-compose.yml"));

    @Test
    void everyServiceWaitsForItsCertificatesAndRunsTheInternalPlane() {
        var certs = Yamls.map(compose, "services.certs");
        String command = String.join(" ", (List<String>) certs.get("command"));
        assertThat(command).contains("dev.llmplatform.commons.security.IssueCertificates").contains("/certs");
        for (String identity : List.of("gateway", "model-registry", "tokenizer-service", "inference-cpu-service",
                "inference-gpu-service", "scheduler-service", "prometheus", "admin")) {
            assertThat(command).as("certs issues %s", identity).contains(" " + identity);
        }
        assertThat((List<Object>) certs.get("volumes")).contains("certs:/certs");

        MANAGEMENT.forEach((service, port) -> {
            var definition = Yamls.map(compose, "services." + service);
            assertThat(Yamls.string(definition, "depends_on.certs.condition")).as(service).isEqualTo("service_completed_successfully");
            assertThat((List<Object>) definition.get("volumes")).as(service).contains("certs:/certs:ro");
            var env = Yamls.map(definition, "environment");
            assertThat(env).as(service).containsEntry("PLATFORM_SECURITY_TLSDIR", "/certs")
                    .containsEntry("SERVER_ADDRESS", "0.0.0.0").containsEntry("SPRING_GRPC_SERVER_ADDRESS", "0.0.0.0")
                    .containsEntry("MANAGEMENT_SERVER_ADDRESS", "0.0.0.0").containsEntry("MANAGEMENT_SERVER_SSL_ENABLED", "true")
                    .containsEntry("MANAGEMENT_SERVER_SSL_BUNDLE", "platform").containsEntry("MANAGEMENT_SERVER_SSL_CLIENTAUTH", "want");
            String check = String.join(" ", (List<String>) Yamls.get(definition, "healthcheck.test"));
            assertThat(check).as(service).contains("https://localhost:" + port + "/actuator/health/").contains("--cacert /certs/ca.crt");
        });
        assertThat(Yamls.map(compose, "services.gateway.environment"))
                .containsEntry("GATEWAY_REGISTRYHTTPURL", "https://model-registry:8081")
                .containsEntry("GATEWAY_REGISTRYTARGET", "static://model-registry:9091");
    }

    @Test
    void prometheusScrapesWithItsOwnCertificate() {
        var prometheus = Yamls.map(compose, "services.prometheus");
        assertThat((List<Object>) prometheus.get("volumes")).contains("certs:/etc/prometheus/certs:ro");
        assertThat(Yamls.string(prometheus, "depends_on.certs.condition")).isEqualTo("service_completed_successfully");
        var config = ChartFixture.readYaml(ChartFixture.REPOSITORY.resolve("monitoring/prometheus/prometheus.yml"));
        var jobs = Yamls.list(config, "scrape_configs").stream()
                .filter(j -> j.get("job_name").toString().startsWith("llm-platform")).toList();
        assertThat(jobs).hasSize(2).allSatisfy(job -> {
            assertThat(job).containsEntry("scheme", "https").containsEntry("metrics_path", "/actuator/prometheus");
            assertThat(Yamls.map(job, "tls_config")).containsEntry("ca_file", "certs/ca.crt")
                    .containsEntry("cert_file", "certs/prometheus.crt").containsEntry("key_file", "certs/prometheus.key");
        });
        List<String> targets = jobs.stream().flatMap(j -> Yamls.list(j, "static_configs").stream())
                .flatMap(c -> ((List<String>) c.get("targets")).stream()).toList();
        assertThat(targets).containsExactlyInAnyOrderElementsOf(
                MANAGEMENT.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()).toList());
    }
}
