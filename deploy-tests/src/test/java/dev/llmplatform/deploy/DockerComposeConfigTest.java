package dev.llmplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml stays valid: `docker-compose -f docker-compose.yml config -q` (Debian's docker-compose 1.29
 * checks the file without a Docker engine). Skipped, with the reason, where the binary is not installed
 * (apt-get install -y docker-compose).
 */
class DockerComposeConfigTest {

    @Test
    void dockerComposeFileValidates() throws Exception {
        Optional<Path> binary = onPath("docker-compose");
        assumeTrue(binary.isPresent(), "docker-compose is not installed (apt-get install -y docker-compose); skipped");

        Process process = new ProcessBuilder(binary.get().toString(), "-f", "docker-compose.yml", "config", "-q")
                .directory(ChartFixture.REPOSITORY.toFile())
                .redirectErrorStream(true)
                .start();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(exited).as("docker-compose config finished within 60 s").isTrue();
        assertThat(process.exitValue()).as("docker-compose config -q said: %s", output).isZero();
    }

    private static Optional<Path> onPath(String name) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin");
        return Stream.of(path.split(File.pathSeparator)).map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable).findFirst();
    }
}
