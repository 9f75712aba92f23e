package dev.llmplatform.launcher;

import dev.llmplatform.commons.security.PemFiles;
import dev.llmplatform.commons.security.PlatformCertificates;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The whole platform as separate JVM processes on loopback, each on free ports (never those of a platform someone
 * runs with {@code ./platform up}), started by the same {@link Launcher} as {@code ./platform up}. What the
 * end-to-end tests and the serving benchmark run. Stopped when closed; logs, certificates and temporary folders in
 * its working folder.
 */
public final class LocalPlatform implements AutoCloseable {

    public static final String MODEL = "tiny-kjv-chat";

    /** Every identity the local CA issues a certificate to: the services, and an operator's "admin". */
    public static final List<String> IDENTITIES = LocalService.IDENTITIES;

    /**
     * A CPU worker of a multi-worker platform.
     *
     * @param prefix  what the JVM runs under (e.g. nice, taskset), empty for nothing
     * @param profile the scheduler's device profile for it, declared with {@link #withWorkers}' scheduler arguments
     */
    public record WorkerSpec(String id, List<String> args, List<String> prefix, String profile) {
    }

    private final Launcher launcher;
    private final String apiKey;
    private final PlatformCertificates certificates;
    private final Map<String, ServiceLaunch> launches = new LinkedHashMap<>();
    private final Map<String, RunningService> services = new LinkedHashMap<>();
    private final Set<Integer> handedOut = new HashSet<>();
    private List<WorkerSpec> workerSpecs = List.of();
    private List<String> extraSchedulerArgs = List.of();
    private List<String> serviceArgs = List.of();
    private boolean withGateway = true;
    private Path model;
    private int workerSlots = 2;
    private int workerThreads = 2;
    private boolean quantizer;

    /**
     * A platform of the repository at {@code -Dplatform.root} (default: the parent folder, where a module's tests
     * run), with its logs and certificates under {@code target/} of the current folder.
     */
    public LocalPlatform(String apiKey) {
        this(apiKey, Layout.workDir(Path.of(System.getProperty("platform.root", "..")).toAbsolutePath().normalize(),
                System.getProperty("platform.version", Layout.VERSION), Path.of("target").toAbsolutePath()));
    }

    public LocalPlatform(String apiKey, Layout layout) {
        this.apiKey = apiKey;
        this.launcher = new Launcher(layout, Launcher.Logs.FRESH, System.err::println);
        // the same local CA and certificates ./platform up issues, in this platform's own folder
        this.certificates = PlatformCertificates.issue(layout.tlsDir(), IDENTITIES, List.of());
        this.model = Path.of(System.getProperty("platform.model",
                layout.root().resolve("models/tiny-kjv-chat/tiny-kjv-chat.gguf").toString()));
        // a JVM that is killed (e.g. a test's time-out) must not leave the services running
        Runtime.getRuntime().addShutdownHook(new Thread(() -> services.values().forEach(s -> s.process().destroyForcibly())));
    }

    /** The launcher that starts this platform's services. */
    public Launcher launcher() {
        return launcher;
    }

    /** The default model, or another GGUF file given as -Dplatform.model or {@link #withModel} (served under the same name). */
    public Path modelFile() {
        return model;
    }

    public String apiKey() {
        return apiKey;
    }

    /** The platform's local CA and certificates, for tests that call an internal port themselves. */
    public PlatformCertificates certificates() {
        return certificates;
    }

    /** The folder of the local CA and the services' certificates. */
    public Path tlsDir() {
        return certificates.dir();
    }

    /** gRPC credentials that present {@code identity}'s certificate (e.g. "gateway" to call the scheduler). */
    public ChannelCredentials credentials(String identity) {
        try {
            return TlsChannelCredentials.newBuilder()
                    .keyManager(certificates.certificate(identity).toFile(), certificates.privateKey(identity).toFile())
                    .trustManager(certificates.caCertificate().toFile()).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A channel to a service's gRPC port as {@code identity}. */
    public ManagedChannel channel(String service, String identity) {
        return Grpc.newChannelBuilderForAddress("127.0.0.1", services.get(service).grpcPort(), credentials(identity)).build();
    }

    /** An HTTP client that presents {@code identity}'s certificate to the internal HTTPS ports. */
    public HttpClient httpsClient(String identity) {
        // the JDK counts the TLS handshake in the connect timeout, and on a loaded 2-core machine a service busy
        // quantizing or measuring can take seconds to finish one
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
                .sslContext(PemFiles.sslContext(certificates.dir(), identity)).build();
    }

    /** A path on a service's internal HTTPS port (the registry's admin API). */
    public URI internal(String service, String path) {
        return URI.create("https://127.0.0.1:" + services.get(service).httpPort() + path);
    }

    /**
     * Runs these CPU workers instead of the single default one (each service name is
     * {@code inference-cpu-service-<id>}), with these extra scheduler arguments (device profiles, policy).
     */
    public LocalPlatform withWorkers(List<WorkerSpec> workers, List<String> schedulerArgs) {
        this.workerSpecs = List.copyOf(workers);
        this.extraSchedulerArgs = List.copyOf(schedulerArgs);
        return this;
    }

    /** Leaves the gateway out, for tests that talk to the scheduler's gRPC API directly. */
    public LocalPlatform withoutGateway() {
        this.withGateway = false;
        return this;
    }

    /** Serves this GGUF file (under the default model's name) instead of the default model. */
    public LocalPlatform withModel(Path modelFile) {
        this.model = modelFile.toAbsolutePath();
        return this;
    }

    /** The single default worker's slots and llama.cpp threads (2 and 2 unless set). */
    public LocalPlatform withWorkerCapacity(int slots, int threads) {
        this.workerSlots = slots;
        this.workerThreads = threads;
        return this;
    }

    /**
     * Lets the registry quantize and measure variants on the (first) CPU worker, as ./platform up does: the seeded
     * default model gets its Q8_0 and Q4_K_M variants and every variant is measured. Off unless asked for, so that
     * other tests' workers do only the work the test gives them.
     */
    public LocalPlatform withQuantizer() {
        this.quantizer = true;
        return this;
    }

    /** Arguments given to every service after its own (e.g. --platform.security.enabled=false). */
    public LocalPlatform withServiceArgs(List<String> args) {
        this.serviceArgs = List.copyOf(args);
        return this;
    }

    /** Starts every service and waits until each is ready; on failure stops what it started. */
    public LocalPlatform start() throws IOException, InterruptedException {
        try {
            return startAll();
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private LocalPlatform startAll() throws IOException, InterruptedException {
        Path data = Files.createTempDirectory("registry-db");
        // the workers' ports are chosen first: the registry, which starts before them, quantizes on the first one
        List<LocalService> workerPorts = new ArrayList<>();
        for (int i = 0; i < Math.max(1, workerSpecs.size()); i++) {
            workerPorts.add(onFreePorts("inference-cpu-service"));
        }
        var registry = launch("model-registry", List.of(
                "--spring.datasource.url=jdbc:h2:file:" + data.resolve("registry"),
                "--registry.default-model.path=" + model,
                "--registry.artifacts.local-dir=" + data.resolve("artifacts"),
                "--registry.quantizer.enabled=" + quantizer,
                "--registry.quantizer.target=static://127.0.0.1:" + workerPorts.getFirst().ports().grpc()));
        String registryTarget = "--%s=static://127.0.0.1:" + registry.grpcPort();
        var tokenizer = launch("tokenizer-service", List.of(registryTarget.formatted("tokenizer.registry-target")));
        List<String> schedulerArgs = new ArrayList<>(List.of(
                "--scheduler.tokenizer-target=static://127.0.0.1:" + tokenizer.grpcPort(),
                registryTarget.formatted("scheduler.registry.target")));
        if (workerSpecs.isEmpty()) {
            var worker = launch(new ServiceLaunch("inference-cpu-service", workerPorts.getFirst(), andServiceArgs(List.of(
                    registryTarget.formatted("worker.registry-target"), "--worker.worker-id=cpu-e2e",
                    "--worker.slots=" + workerSlots, "--worker.threads=" + workerThreads)), List.of()));
            schedulerArgs.addAll(List.of("--scheduler.workers[0].id=cpu-e2e",
                    "--scheduler.workers[0].target=static://127.0.0.1:" + worker.grpcPort()));
        }
        for (int i = 0; i < workerSpecs.size(); i++) {
            WorkerSpec spec = workerSpecs.get(i);
            List<String> args = new ArrayList<>(List.of(registryTarget.formatted("worker.registry-target"),
                    "--worker.worker-id=" + spec.id()));
            args.addAll(spec.args());
            var worker = launch(new ServiceLaunch(workerService(spec.id()), workerPorts.get(i), andServiceArgs(args), spec.prefix()));
            schedulerArgs.addAll(List.of(
                    "--scheduler.workers[%d].id=%s".formatted(i, spec.id()),
                    "--scheduler.workers[%d].target=static://127.0.0.1:%d".formatted(i, worker.grpcPort()),
                    "--scheduler.workers[%d].pool=cpu".formatted(i),
                    "--scheduler.workers[%d].profile=%s".formatted(i, spec.profile())));
        }
        schedulerArgs.addAll(extraSchedulerArgs);
        var scheduler = launch("scheduler-service", schedulerArgs);
        if (withGateway) {
            launch("gateway", gatewayArgs(scheduler, registry));
        }
        for (RunningService service : services.values()) {
            launcher.awaitReady(service, Probe.READINESS, Duration.ofMinutes(4));
        }
        return this;
    }

    public static String workerService(String workerId) {
        return "inference-cpu-service-" + workerId;
    }

    /** Kills a service's process at once, as a crash would. */
    public void kill(String name) throws InterruptedException {
        Launcher.kill(services.get(name).process());
    }

    /** Stops a service the way an orderly shutdown does (SIGTERM, SIGKILL after 20 s); {@link #restart} brings it back. */
    public void stop(String name) throws InterruptedException {
        Launcher.stop(services.get(name).process());
    }

    /** Starts a stopped service again on the same ports, without waiting for it to be ready. */
    public RunningService restart(String name) throws IOException {
        return restart(name, List.of());
    }

    /**
     * Starts a stopped service again on the same ports with some of its arguments replaced (those with the same name
     * before '='), e.g. the registry moved to another database; later restarts keep the new arguments.
     */
    public RunningService restart(String name, List<String> replacingArgs) throws IOException {
        if (services.get(name).process().isAlive()) {
            throw new IllegalStateException(name + " is still running");
        }
        ServiceLaunch launch = launches.get(name);
        List<String> replaced = replacingArgs.stream().map(a -> a.substring(0, a.indexOf('=') + 1)).toList();
        List<String> args = new ArrayList<>(launch.args().stream().filter(a -> replaced.stream().noneMatch(a::startsWith)).toList());
        args.addAll(replacingArgs);
        return launch(launch.withArgs(args));
    }

    /** Waits until the service reports itself ready. */
    public void awaitReady(String name, Duration timeout) throws InterruptedException {
        launcher.awaitReady(services.get(name), Probe.READINESS, timeout);
    }

    public RunningService service(String name) {
        return services.get(name);
    }

    /** How a service was last launched (its table row, ports and arguments). */
    public ServiceLaunch launchOf(String name) {
        return launches.get(name);
    }

    /** Sum over the series of a metric on a service's /actuator/prometheus that carry every label given. */
    public double metric(String service, String name, String... labels) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String metrics = http.send(java.net.http.HttpRequest.newBuilder(services.get(service).actuator("prometheus"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            return metrics.lines()
                    .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                    .filter(line -> java.util.Arrays.stream(labels).allMatch(line::contains))
                    .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
        }
    }

    public URI gateway(String path) {
        return URI.create("http://127.0.0.1:" + services.get("gateway").httpPort() + path);
    }

    /** The last lines of a log, for a failure message. */
    public static String tail(Path log) {
        return Launcher.tail(log);
    }

    /**
     * The key without request or token budgets (0 = none): tests and benchmarks load the platform on purpose, and the
     * gateway's quotas have tests of their own (gateway module), so a fast machine must not turn load into 429s.
     */
    private List<String> gatewayArgs(RunningService scheduler, RunningService registry) {
        return List.of("--gateway.scheduler-target=static://127.0.0.1:" + scheduler.grpcPort(),
                "--gateway.keys[0].name=local-platform", "--gateway.keys[0].sha256=" + HexFormat.of().formatHex(sha256(apiKey)),
                "--gateway.keys[0].requests-per-minute=0", "--gateway.keys[0].tokens-per-minute=0",
                "--gateway.registry-http-url=https://127.0.0.1:" + registry.httpPort(),
                "--gateway.registry-target=static://127.0.0.1:" + registry.grpcPort());
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private RunningService launch(String service, List<String> args) throws IOException {
        return launch(new ServiceLaunch(service, onFreePorts(service), andServiceArgs(args), List.of()));
    }

    private List<String> andServiceArgs(List<String> args) {
        List<String> all = new ArrayList<>(args);
        all.addAll(serviceArgs);
        return all;
    }

    private RunningService launch(ServiceLaunch launch) throws IOException {
        RunningService service = launcher.start(launch);
        launches.put(launch.name(), launch);
        services.put(launch.name(), service);
        return service;
    }

    private LocalService onFreePorts(String service) {
        return LocalService.named(service).on(Ports.free(handedOut));
    }

    @Override
    public void close() {
        services.values().forEach(s -> s.process().destroy());
        for (RunningService s : services.values()) {
            try {
                if (!s.process().waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    s.process().destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                s.process().destroyForcibly();
            }
        }
    }
}
