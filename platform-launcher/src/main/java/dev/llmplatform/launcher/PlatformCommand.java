package dev.llmplatform.launcher;

import dev.llmplatform.commons.security.PlatformCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@code ./platform up} and {@code ./platform status} run: {@code up ROOT} issues the local certificates,
 * starts every service of {@link LocalService#ALL} on its fixed ports with the launcher that tests and benchmarks use,
 * records each JVM's pid in {@code .platform/pids/<service>.pid} and waits until each is ready, then exits and leaves
 * them running. {@code ./platform down} needs nothing but those pid files.
 */
public final class PlatformCommand {

    private final Path root;
    private final Launcher launcher;
    private final Path pids;

    public PlatformCommand(Path root) {
        this.root = root;
        this.launcher = new Launcher(Layout.platformScript(root), Launcher.Logs.APPEND, System.out::println);
        this.pids = root.resolve(".platform/pids");
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !List.of("up", "status").contains(args[0])) {
            System.err.println("usage: PlatformCommand up|status REPOSITORY");
            System.exit(2);
        }
        var command = new PlatformCommand(Path.of(args[1]).toAbsolutePath().normalize());
        System.exit(args[0].equals("up") ? command.up() : command.status());
    }

    /** The launch of a service of the table, as {@code ./platform up} starts it: its own defaults and nothing else. */
    public static ServiceLaunch launchOf(LocalService service) {
        return ServiceLaunch.of(service, List.of());
    }

    public Launcher launcher() {
        return launcher;
    }

    int up() throws IOException, InterruptedException {
        PlatformCertificates.issue(launcher.layout().tlsDir(), LocalService.IDENTITIES, List.of());
        Files.createDirectories(pids);
        System.out.println("Starting the platform...");
        List<RunningService> started = new ArrayList<>();
        for (LocalService service : LocalService.ALL) {
            Optional<ProcessHandle> running = runningPid(service.name());
            if (running.isPresent()) {
                System.out.printf("  %s already running (pid %d)%n", service.name(), running.get().pid());
                continue;
            }
            RunningService process = launcher.start(launchOf(service));
            Files.writeString(pidFile(service.name()), process.process().pid() + "\n");
            System.out.printf("  %s starting (pid %d, port %d)%n", service.name(), process.process().pid(), service.ports().http());
            started.add(process);
        }
        Duration timeout = Duration.ofSeconds(Long.parseLong(System.getenv().getOrDefault("PLATFORM_READY_TIMEOUT", "240")));
        for (RunningService process : started) {
            try {
                launcher.awaitReady(process, LocalService.named(process.name()).readinessProbe(), timeout);
            } catch (IllegalStateException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
            System.out.printf("  %s ready%n", process.name());
        }
        return 0;
    }

    int status() throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        System.out.printf("%-24s %-8s %-10s %s%n", "SERVICE", "PID", "READY", "HEALTH");
        for (LocalService service : LocalService.ALL) {
            Optional<ProcessHandle> running = runningPid(service.name());
            if (running.isEmpty()) {
                System.out.printf("%-24s %-8s %-10s %s%n", service.name(), "-", "no", "stopped");
                continue;
            }
            String base = "http://127.0.0.1:" + service.ports().management() + "/actuator/";
            String ready = get(http, base + Probe.READINESS.path()).map(r -> r.statusCode() == 200 ? "yes" : "no (" + r.statusCode() + ")")
                    .orElse("no");
            String health = get(http, base + "health").map(HttpResponse::body).map(b -> b.substring(0, Math.min(300, b.length())))
                    .orElse("");
            System.out.printf("%-24s %-8d %-10s %s%n", service.name(), running.get().pid(), ready, health);
        }
        return 0;
    }

    private static Optional<HttpResponse<String>> get(HttpClient http, String uri) throws InterruptedException {
        try {
            return Optional.of(http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        } catch (IOException notListening) {
            return Optional.empty();
        }
    }

    private Path pidFile(String service) {
        return pids.resolve(service + ".pid");
    }

    /**
     * The service's JVM, if its pid file names a live process that is that service (its command line names the
     * service's jar). A pid file left by a crash names a dead process, or one the system has since given the same
     * pid: it is removed, so that {@code up} starts the service again instead of reporting it running.
     */
    public Optional<ProcessHandle> runningPid(String service) {
        Path file = pidFile(service);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Optional<ProcessHandle> process;
        try {
            process = ProcessHandle.of(Long.parseLong(Files.readString(file).strip()))
                    .filter(ProcessHandle::isAlive)
                    .filter(p -> isService(p, service));
        } catch (IOException | NumberFormatException unreadable) {
            process = Optional.empty();
        }
        if (process.isEmpty()) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a stale file that cannot be removed is read as stale again next time
            }
        }
        return process;
    }

    /** Whether a process is the JVM of {@code service}: its jar (executable or extracted for the AOT cache) is named after it. */
    static boolean isService(ProcessHandle process, String service) {
        return commandLine(process).map(line -> line.contains("/" + service + "-") || line.contains("/" + service + "/"))
                .orElse(false);
    }

    /** From /proc where there is one (ProcessHandle.Info is often empty for processes the JVM did not start itself). */
    private static Optional<String> commandLine(ProcessHandle process) {
        Path cmdline = Path.of("/proc", Long.toString(process.pid()), "cmdline");
        try {
            if (Files.isReadable(cmdline)) {
                return Optional.of(Files.readString(cmdline, java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' '));
            }
        } catch (IOException gone) {
            return Optional.empty();
        }
        return process.info().commandLine();
    }
}
