package dev.llmplatform.launcher;

import dev.llmplatform.commons.security.PlatformCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code ./platform up}, {@code status} and {@code scale} run: {@code up ROOT} issues the local certificates,
 * starts every service of its table ({@link LocalService#ALL}: the fixed ports) with the launcher that tests and
 * benchmarks use, records each JVM's pid in {@code .platform/pids/<service>.pid} and waits until each is ready, then
 * exits and leaves them running. {@code scale ROOT SERVICE N} starts or stops local replicas of a worker service
 * beside the instance of {@code up}, on free ports, each announced to the scheduler by a replica file in
 * {@code .platform/replicas} (LocalWorkerDiscovery, the local counterpart of discovery on Kubernetes).
 * {@code ./platform down} needs nothing but the pid files.
 */
public final class PlatformCommand {

    /**
     * The services that scale, with their worker pool: the scheduler finds worker replicas by itself. The registry,
     * tokenizer, scheduler and gateway are single instances locally (each is found at its one fixed address).
     */
    public static final Map<String, String> SCALABLE = Map.of("inference-cpu-service", "cpu", "inference-gpu-service", "gpu");

    /** How long a replica that is scaled away gets to drain (the worker's own drain is 20 s) before it is killed. */
    static final Duration STOP_DEADLINE = Duration.ofSeconds(30);

    /** Two reads of the scheduler's replica directory: it has stopped placing on a replica before that replica stops. */
    static final Duration UNANNOUNCE_PAUSE = Duration.ofSeconds(1);

    private static final Pattern REPLICA = Pattern.compile("(.+)-(\\d+)");

    private final Path root;
    private final Path state;
    private final List<LocalService> table;
    private final Launcher launcher;
    private final Path pids;
    private final Path replicas;
    private final Set<Integer> handedOut = new HashSet<>();

    /** {@code ./platform}'s: the fixed ports, state under {@code <root>/.platform}. */
    public PlatformCommand(Path root) {
        this(root, root.resolve(".platform"), LocalService.ALL);
    }

    /**
     * Another state folder and service table: a test's, with its services on free ports, beside a developer's own
     * {@code ./platform up}. The table lists the services {@code up} starts, in start order; each is told where the
     * others listen.
     */
    public PlatformCommand(Path root, Path state, List<LocalService> table) {
        this.root = root;
        this.state = state;
        this.table = List.copyOf(table);
        this.launcher = new Launcher(Layout.platformScript(root, state), Launcher.Logs.APPEND, System.out::println);
        this.pids = state.resolve("pids");
        this.replicas = state.resolve("replicas");
    }

    public static void main(String[] args) throws Exception {
        boolean valid = args.length == 2 && List.of("up", "status").contains(args[0])
                || args.length == 4 && args[0].equals("scale");
        if (!valid) {
            System.err.println("usage: PlatformCommand up|status REPOSITORY | scale REPOSITORY SERVICE N");
            System.exit(2);
        }
        var command = new PlatformCommand(Path.of(args[1]).toAbsolutePath().normalize());
        System.exit(switch (args[0]) {
            case "up" -> command.up();
            case "status" -> command.status();
            default -> command.scale(args[2], args[3]);
        });
    }

    /**
     * The launch of a service of the table, as {@code up} starts it: told where the other services of the table listen
     * (on the fixed table what its defaults say anyway) and where its state is, and the scheduler where the replica
     * files are.
     */
    public ServiceLaunch launchOf(LocalService service) {
        return ServiceLaunch.of(service, argsOf(service.name()));
    }

    private List<String> argsOf(String service) {
        return switch (service) {
            // REGISTRY_DB_URL (PostgreSQL) still wins, as it does over the registry's own default
            case "model-registry" -> List.of(
                    "--spring.datasource.url=${REGISTRY_DB_URL:jdbc:h2:file:" + state.resolve("data/registry") + ";AUTO_SERVER=FALSE}",
                    "--registry.artifacts.local-dir=" + state.resolve("artifacts"),
                    // the default model's Q8_0 and Q4_K_M are made and every variant measured on the table's CPU worker
                    "--registry.quantizer.target=" + grpcTarget("inference-cpu-service"));
            case "tokenizer-service" -> List.of("--tokenizer.registry-target=" + grpcTarget("model-registry"));
            case "inference-cpu-service", "inference-gpu-service" -> List.of("--worker.registry-target=" + grpcTarget("model-registry"));
            case "scheduler-service" -> schedulerArgs();
            case "gateway" -> List.of("--gateway.scheduler-target=" + grpcTarget("scheduler-service"),
                    "--gateway.registry-http-url=${platform.security.internal-scheme}://127.0.0.1:" + portsOf("model-registry").http(),
                    "--gateway.registry-target=" + grpcTarget("model-registry"));
            default -> List.of();
        };
    }

    /** The workers of the table are its static workers (ids as the workers' own defaults); replicas it discovers. */
    private List<String> schedulerArgs() {
        List<String> args = new ArrayList<>(List.of("--scheduler.tokenizer-target=" + grpcTarget("tokenizer-service"),
                "--scheduler.registry.target=" + grpcTarget("model-registry")));
        int index = 0;
        for (LocalService service : table) {
            String pool = SCALABLE.get(service.name());
            if (pool != null) {
                args.addAll(List.of("--scheduler.workers[%d].id=%s-0".formatted(index, pool),
                        "--scheduler.workers[%d].target=%s".formatted(index, grpcTarget(service.name())),
                        "--scheduler.workers[%d].pool=%s".formatted(index, pool),
                        "--scheduler.workers[%d].profile=%s".formatted(index, pool)));
                index++;
            }
        }
        args.add("--scheduler.discovery.local.directory=" + replicas);
        return args;
    }

    private String grpcTarget(String service) {
        return "static://127.0.0.1:" + portsOf(service).grpc();
    }

    /** Where a service of the table listens; one missing from the table is where the fixed table has it. */
    private Ports portsOf(String service) {
        return table.stream().filter(s -> s.name().equals(service)).findFirst().orElseGet(() -> LocalService.named(service)).ports();
    }

    public Launcher launcher() {
        return launcher;
    }

    public int up() throws IOException, InterruptedException {
        PlatformCertificates.issue(launcher.layout().tlsDir(), LocalService.IDENTITIES, List.of());
        Files.createDirectories(pids);
        Files.createDirectories(replicas);
        System.out.println("Starting the platform...");
        List<RunningService> started = new ArrayList<>();
        for (LocalService service : table) {
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
        // replicas of ./platform scale keep running, and the (new) scheduler finds them by their files; a crashed
        // one's file goes, so that the scheduler does not keep trying its address
        for (LocalService service : table) {
            if (SCALABLE.containsKey(service.name())) {
                for (int number : replicaNumbers(service.name())) {
                    String name = service.name() + "-" + number;
                    System.out.printf("  %s running (pid %d)%n", name, runningPid(name).orElseThrow().pid());
                }
            }
        }
        Duration timeout = readyTimeout();
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

    /** {@code ./platform scale SERVICE N}, N as typed. */
    public int scale(String service, String count) throws IOException, InterruptedException {
        if (!SCALABLE.containsKey(service)) {
            System.err.printf("error: %s cannot be scaled; only %s can: the scheduler finds worker replicas by itself, "
                    + "while the tokenizer, registry, scheduler and gateway are single instances locally%n", service,
                    String.join(" and ", new java.util.TreeSet<>(SCALABLE.keySet())));
            return 2;
        }
        int wanted;
        try {
            wanted = Integer.parseInt(count);
        } catch (NumberFormatException e) {
            wanted = 0;
        }
        if (wanted < 1) {
            System.err.printf("error: N must be a whole number of at least 1 (the instance of ./platform up is replica 1; "
                    + "./platform down stops it), not %s%n", count);
            return 2;
        }
        return scale(service, wanted);
    }

    /**
     * Starts replicas 2..N of a worker service that are not running, or stops those above N (highest first). Replica 1
     * is the instance of {@code up}, the scheduler's statically configured worker.
     */
    public int scale(String service, int wanted) throws IOException, InterruptedException {
        LocalService row = table.stream().filter(s -> s.name().equals(service)).findFirst().orElseThrow();
        if (runningPid(service).isEmpty()) {
            System.err.printf("error: %s is not running (it is replica 1); ./platform up first%n", service);
            return 1;
        }
        Files.createDirectories(replicas);
        List<Integer> running = replicaNumbers(service);
        List<Integer> surplus = running.stream().filter(n -> n > wanted).sorted(java.util.Comparator.reverseOrder()).toList();
        if (!surplus.isEmpty()) {
            stopReplicas(service, surplus);
        }
        List<RunningService> started = new ArrayList<>();
        for (int number = 2; number <= wanted; number++) {
            if (!running.contains(number)) {
                started.add(startReplica(row, number));
            }
        }
        for (RunningService replica : started) {
            try {
                launcher.awaitReady(replica, row.readinessProbe(), readyTimeout());
            } catch (IllegalStateException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
            System.out.printf("  %s ready%n", replica.name());
        }
        System.out.printf("%s: %d replica%s%n", service, wanted, wanted == 1 ? "" : "s");
        return 0;
    }

    /**
     * A replica on free ports with its own worker id ({@code <pool>-<number>}; the instance of up is {@code <pool>-0}),
     * announced once its JVM runs: the scheduler's health checks keep it unused until it is ready.
     */
    private RunningService startReplica(LocalService service, int number) throws IOException {
        String name = service.name() + "-" + number;
        String pool = SCALABLE.get(service.name());
        List<String> args = new ArrayList<>(launchOf(service).args());
        args.add("--worker.worker-id=" + pool + "-" + number);
        Ports ports = Ports.free(handedOut);
        RunningService process = launcher.start(new ServiceLaunch(name, service.on(ports), args, List.of()));
        Files.createDirectories(pids);
        Files.writeString(pidFile(name), process.process().pid() + "\n");
        Properties replica = new Properties();
        replica.setProperty("id", pool + "-" + number);
        replica.setProperty("target", "static://127.0.0.1:" + ports.grpc());
        replica.setProperty("pool", pool);
        replica.setProperty("profile", pool);
        replica.setProperty("pid", Long.toString(process.process().pid()));
        replica.setProperty("management-port", Integer.toString(ports.management()));
        // written under another name and renamed: the scheduler never reads a half-written file
        Path tmp = replicas.resolve("." + name + ".tmp");
        try (var out = Files.newBufferedWriter(tmp)) {
            replica.store(out, "a replica of ./platform scale, found by the scheduler (LocalWorkerDiscovery)");
        }
        Files.move(tmp, replicaFile(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        System.out.printf("  %s starting (pid %d, port %d, worker %s-%d)%n", name, process.process().pid(), ports.http(), pool, number);
        return process;
    }

    /**
     * Their replica files go first, so that the scheduler stops placing on them; then SIGTERM (each worker drains:
     * takes no new stream and hands those that outlive its drain to another worker), SIGKILL after the deadline.
     */
    private void stopReplicas(String service, List<Integer> numbers) throws IOException, InterruptedException {
        for (int number : numbers) {
            Files.deleteIfExists(replicaFile(service + "-" + number));
        }
        Thread.sleep(UNANNOUNCE_PAUSE.toMillis());
        List<ProcessHandle> stopping = new ArrayList<>();
        for (int number : numbers) {
            runningPid(service + "-" + number).ifPresent(process -> {
                process.destroy();
                stopping.add(process);
            });
        }
        long deadline = System.nanoTime() + STOP_DEADLINE.toNanos();
        for (ProcessHandle process : stopping) {
            while (process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            if (process.isAlive()) {
                process.destroyForcibly();
                for (int i = 0; i < 50 && process.isAlive(); i++) {
                    Thread.sleep(100);
                }
            }
        }
        for (int number : numbers) {
            Files.deleteIfExists(pidFile(service + "-" + number));
            System.out.printf("  %s-%d stopped%n", service, number);
        }
    }

    /**
     * The numbers of a service's running replicas (2 and up), in order. A replica's pid file naming no live replica,
     * or a replica file without a live replica, is stale and removed.
     */
    List<Integer> replicaNumbers(String service) throws IOException {
        java.util.TreeSet<Integer> numbers = new java.util.TreeSet<>();
        for (Path dir : List.of(pids, replicas)) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    String fileName = file.getFileName().toString();
                    String name = fileName.replaceFirst("\\.(pid|properties)$", "");
                    Matcher replica = REPLICA.matcher(name);
                    if (!name.equals(fileName) && replica.matches() && replica.group(1).equals(service)) {
                        numbers.add(Integer.parseInt(replica.group(2)));
                    }
                }
            }
        }
        List<Integer> running = new ArrayList<>();
        for (int number : numbers) {
            String name = service + "-" + number;
            if (runningPid(name).isPresent()) {
                running.add(number);
            } else {
                Files.deleteIfExists(replicaFile(name));
            }
        }
        return running;
    }

    private static Duration readyTimeout() {
        return Duration.ofSeconds(Long.parseLong(System.getenv().getOrDefault("PLATFORM_READY_TIMEOUT", "240")));
    }

    public int status() throws InterruptedException, IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        System.out.printf("%-24s %-8s %-10s %s%n", "SERVICE", "PID", "READY", "HEALTH");
        for (LocalService service : table) {
            Optional<ProcessHandle> running = runningPid(service.name());
            if (running.isEmpty()) {
                System.out.printf("%-24s %-8s %-10s %s%n", service.name(), "-", "no", "stopped");
            } else {
                printStatus(http, service.name(), running.get(), service.ports().management());
            }
            if (SCALABLE.containsKey(service.name())) {
                for (int number : replicaNumbers(service.name())) {
                    String name = service.name() + "-" + number;
                    Optional<ProcessHandle> replica = runningPid(name);
                    if (replica.isPresent()) {
                        printStatus(http, name, replica.get(), managementPort(name));
                    }
                }
            }
        }
        return 0;
    }

    private void printStatus(HttpClient http, String name, ProcessHandle process, int managementPort) throws InterruptedException {
        String base = "http://127.0.0.1:" + managementPort + "/actuator/";
        String ready = managementPort <= 0 ? "no" : get(http, base + Probe.READINESS.path())
                .map(r -> r.statusCode() == 200 ? "yes" : "no (" + r.statusCode() + ")").orElse("no");
        String health = managementPort <= 0 ? "" : get(http, base + "health").map(HttpResponse::body)
                .map(b -> b.substring(0, Math.min(300, b.length()))).orElse("");
        System.out.printf("%-24s %-8d %-10s %s%n", name, process.pid(), ready, health);
    }

    /** A replica's management port, from its replica file; 0 when it has none (being scaled away). */
    private int managementPort(String replica) {
        Properties file = new Properties();
        try (var in = Files.newBufferedReader(replicaFile(replica))) {
            file.load(in);
            return Integer.parseInt(file.getProperty("management-port", "0"));
        } catch (IOException | NumberFormatException gone) {
            return 0;
        }
    }

    private Path replicaFile(String replica) {
        return replicas.resolve(replica + ".properties");
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

    /**
     * Whether a process is the JVM of {@code service}: its jar (executable or extracted for the AOT cache) is named after
     * it; a replica's ({@code inference-cpu-service-2}) temporary directory {@code .platform/tmp/<name>-<port>} is.
     */
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
