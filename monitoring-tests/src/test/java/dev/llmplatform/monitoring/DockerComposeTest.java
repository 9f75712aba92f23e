package dev.llmplatform.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** docker-compose.yml runs the monitoring stack with traces on; docker-compose validates it offline. */
class DockerComposeTest {

    private static final Path COMPOSE = Repository.ROOT.resolve("docker-compose.yml");

    @Test
    void theServicesSampleTracesAndSendThemToJaeger() throws Exception {
        String compose = Files.readString(COMPOSE);

        assertThat(compose).contains("MANAGEMENT_TRACING_SAMPLING_PROBABILITY:")
                .contains("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT: http://jaeger:4318/v1/traces")
                .contains("image: jaegertracing/all-in-one")
                .contains("COLLECTOR_OTLP_ENABLED: \"true\"")
                .contains("image: prom/prometheus").contains("image: grafana/grafana")
                .contains("image: postgres").contains("image: redis");
    }

    @Test
    void dockerComposeAcceptsTheFile() throws Exception {
        Path dockerCompose = null;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "docker-compose"))) {
                dockerCompose = Path.of(dir, "docker-compose");
                break;
            }
        }
        Assumptions.assumeTrue(dockerCompose != null, "docker-compose is not installed (Debian: apt-get install docker-compose): skipping");
        Process process = new ProcessBuilder(dockerCompose.toString(), "-f", COMPOSE.toString(), "config", "-q")
                .directory(Repository.ROOT.toFile()).redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(out).isZero();
    }
}
