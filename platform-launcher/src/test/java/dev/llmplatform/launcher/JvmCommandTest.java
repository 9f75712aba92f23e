package dev.llmplatform.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class JvmCommandTest {

    private final ServiceLaunch gateway = ServiceLaunch.of(LocalService.named("gateway"), List.of("--gateway.keys[0].name=k"));

    @Test
    void runsTheServicesOnC2WithTheirHeapAndOwnTemporaryDirectory() {
        var command = JvmCommand.of(Path.of("/jdk/bin/java"), gateway, Path.of("/state/tmp/gateway-8080"),
                new StartForm.ExecutableJar(Path.of("/repo/gateway.jar")), Path.of("/state/certs"));

        assertThat(command).startsWith("/jdk/bin/java", "-Xmx384m", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
                "-Djava.io.tmpdir=/state/tmp/gateway-8080", "-jar", "/repo/gateway.jar");
        assertThat(command).noneMatch(option -> option.startsWith("-XX:TieredStopAtLevel"));
    }

    @Test
    void givesPortsAndCertificatesBeforeTheServicesOwnArguments() {
        var command = JvmCommand.of(Path.of("java"), gateway, Path.of("/tmp/g"),
                new StartForm.ExecutableJar(Path.of("g.jar")), Path.of("/certs"));

        // the gateway serves no gRPC: no port is given for it
        assertThat(command).endsWith("--server.port=8080", "--management.server.port=8180",
                "--platform.security.tls-dir=/certs", "--gateway.keys[0].name=k");
    }

    @Test
    void startsTheExtractedJarWithItsAotCacheWhenThereIsOne() {
        var command = JvmCommand.of(Path.of("java"), gateway, Path.of("/tmp/g"),
                new StartForm.CachedJar(Path.of("/aot/gateway/k/app/g.jar"), Path.of("/aot/gateway/k/app.aot")), Path.of("/certs"));

        assertThat(String.join(" ", command)).contains("-XX:AOTCache=/aot/gateway/k/app.aot -jar /aot/gateway/k/app/g.jar --server.port=8080");
    }
}
