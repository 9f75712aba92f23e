package dev.llmplatform.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Starts and stops the services' JVMs: the one place that knows their command line, their temporary directories,
 * logs and AOT caches, and how to tell that one is ready. {@code ./platform up} (through {@link PlatformCommand}),
 * platform-tests' end-to-end tests and the serving benchmark (both through {@link LocalPlatform}) all start the
 * services here.
 */
public final class Launcher {

    /** What happens to a process's log when this launcher starts it for the first time. */
    public enum Logs {
        /** Start each log afresh: a test reads its platform's log and must not find an earlier run's lines. */
        FRESH,
        /** Keep what earlier runs wrote (./platform: an operator looks back across restarts). */
        APPEND
    }

    private final Layout layout;
    private final Logs logs;
    private final AotCache aot;
    private final Set<String> started = new HashSet<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** @param progress where one-off work (an AOT cache's training run) is announced */
    public Launcher(Layout layout, Logs logs, Consumer<String> progress) {
        this.layout = layout;
        this.logs = logs;
        this.aot = new AotCache(layout.aot(), JvmCommand.currentJava(), progress);
    }

    public Layout layout() {
        return layout;
    }

    /** The JVM command of a launch as it would start now (its jar's AOT cache if there is one), without its prefix. */
    public List<String> command(ServiceLaunch launch) {
        return JvmCommand.of(JvmCommand.currentJava(), launch, tmpDir(launch), aot.existing(jar(launch)), layout.tlsDir());
    }

    /** Starts a service's JVM (after its jar's AOT cache is made, the first time) without waiting for it to be ready. */
    public RunningService start(ServiceLaunch launch) throws IOException {
        Path jar = jar(launch);
        boolean append = logs == Logs.APPEND || !started.add(launch.name());
        if (!append) {
            // a fresh start is fresh in its state too: the registry state an earlier run on the same port saved
            deleteTree(tmpDir(launch));
        }
        Path tmpDir = Files.createDirectories(tmpDir(launch));
        StartForm form = aot.prepare(launch, jar, layout.root(), tmpDir, layout.tlsDir());
        List<String> command = new ArrayList<>(launch.prefix());
        command.addAll(JvmCommand.of(JvmCommand.currentJava(), launch, tmpDir, form, layout.tlsDir()));
        Path log = Files.createDirectories(layout.logs()).resolve(launch.name() + ".log");
        if (append) {
            LogRotation.rotateIfLarger(log, LogRotation.MAX_BYTES, LogRotation.KEPT);
        }
        Files.writeString(log, "=== %s starting: %s%n".formatted(Instant.now(), String.join(" ", command)),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        Process process = new ProcessBuilder(command).directory(layout.root().toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        Ports ports = launch.ports();
        return new RunningService(launch.name(), ports.http(), ports.grpc(), ports.management(), process, log);
    }

    private Path jar(ServiceLaunch launch) {
        Path jar = layout.jar(launch.service());
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build the services first (./mvnw -B package -DskipTests)");
        }
        return jar;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Each process its own temporary directory, named by its name and HTTP port. */
    private Path tmpDir(ServiceLaunch launch) {
        return layout.tmp().resolve(launch.name() + "-" + launch.ports().http());
    }

    /** Waits until the service's probe answers 200 on its management port; fails at once when its JVM exits. */
    public void awaitReady(RunningService service, Probe probe, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        var request = HttpRequest.newBuilder(service.actuator(probe.path())).timeout(Duration.ofSeconds(2)).build();
        while (System.nanoTime() < deadline) {
            if (!service.process().isAlive()) {
                throw new IllegalStateException(service.name() + " exited with " + service.process().exitValue() + "; log:\n" + tail(service.log()));
            }
            try {
                if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // keep waiting
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(service.name() + " not ready within " + timeout + "; log:\n" + tail(service.log()));
    }

    /** Stops a JVM the way an orderly shutdown does: SIGTERM, SIGKILL after 20 s. */
    public static void stop(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /** Kills a JVM at once, as a crash would. */
    public static void kill(Process process) throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    /** The last 40 lines of a log, for a failure message. */
    public static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
