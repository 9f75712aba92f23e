package dev.llmplatform.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher against a real JVM: the "gateway" here is a small jar whose main prints what it was started with
 * (it is no Spring Boot jar, so it also shows that a jar without an AOT cache still starts).
 */
class LauncherTest {

    @TempDir
    Path root;

    private final ServiceLaunch gateway = ServiceLaunch.of(LocalService.named("gateway").on(new Ports(18080, 0, 18180)),
            List.of("--gateway.keys[0].name=k"));

    @BeforeEach
    void buildTheJar() throws IOException {
        Path sources = Files.createDirectories(root.resolve("src"));
        Files.writeString(sources.resolve("Main.java"), """
                public class Main {
                    public static void main(String[] args) {
                        System.out.println("args " + String.join(" ", args));
                        System.out.println("tmpdir " + System.getProperty("java.io.tmpdir"));
                        System.out.println("cwd " + System.getProperty("user.dir"));
                    }
                }
                """);
        assertThat(ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", sources.toString(),
                sources.resolve("Main.java").toString())).isZero();
        var manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Main");
        Path jar = Files.createDirectories(root.resolve("gateway/target")).resolve("gateway-0.1.0-SNAPSHOT-exec.jar");
        try (var out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.putNextEntry(new JarEntry("Main.class"));
            out.write(Files.readAllBytes(sources.resolve("Main.class")));
            out.closeEntry();
        }
    }

    @Test
    void startsTheServiceInTheRepositoryWithItsOwnTemporaryDirectoryPortsAndArguments() throws Exception {
        var launcher = new Launcher(Layout.platformScript(root), Launcher.Logs.APPEND, line -> { });

        var service = launcher.start(gateway);
        service.process().waitFor();

        assertThat(Files.readString(service.log())).contains(
                "args --server.port=18080 --management.server.port=18180 --platform.security.tls-dir="
                        + root.resolve(".platform/certs") + " --gateway.keys[0].name=k",
                "tmpdir " + root.resolve(".platform/tmp/gateway-18080"),
                "cwd " + root);
    }

    @Test
    void theCommandItReportsIsTheOneItRan() throws Exception {
        var launcher = new Launcher(Layout.platformScript(root), Launcher.Logs.APPEND, line -> { });

        var service = launcher.start(gateway);
        service.process().waitFor();

        assertThat(Files.readAllLines(service.log()).getFirst()).endsWith(" starting: " + String.join(" ", launcher.command(gateway)));
    }

    @Test
    void aTestPlatformStartsItsLogsAfreshWhileThePlatformScriptKeepsEarlierRuns() throws Exception {
        Path dir = root.resolve("work");
        for (int run = 0; run < 2; run++) {
            var forTests = new Launcher(Layout.workDir(root, Layout.VERSION, dir), Launcher.Logs.FRESH, line -> { });
            forTests.start(gateway).process().waitFor();
            forTests.start(gateway).process().waitFor(); // a restart within one platform keeps its log
        }
        var forScript = new Launcher(Layout.platformScript(root), Launcher.Logs.APPEND, line -> { });
        forScript.start(gateway).process().waitFor();
        new Launcher(Layout.platformScript(root), Launcher.Logs.APPEND, line -> { }).start(gateway).process().waitFor();

        assertThat(starts(dir.resolve("platform-logs/gateway.log"))).isEqualTo(2);
        assertThat(starts(root.resolve(".platform/logs/gateway.log"))).isEqualTo(2);
    }

    private static long starts(Path log) throws IOException {
        return Files.readAllLines(log).stream().filter(l -> l.startsWith("args ")).count();
    }
}
