package dev.llmplatform.e2e;

import dev.llmplatform.commons.security.PemFiles;
import dev.llmplatform.commons.security.PlatformCertificates;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole platform as separate JVM processes on loopback, each on free ports, started from the services'
 * executable jars exactly as {@code ./platform up} starts them. Stopped (and its logs kept under
 * target/platform-logs) when closed.
 */
final class LocalPlatform implements AutoCloseable {

    static final String MODEL = "tiny-kjv-chat";

    /** A running service: its internal (mutual TLS) HTTP and gRPC ports, and its plain loopback management port. */
    record Service(String name, int httpPort, int grpcPort, int managementPort, Process process, Path log) {

        /** The service's actuator endpoint (health, prometheus) on its management port. */
        URI actuator(String path) {
            return URI.create("http://127.0.0.1:" + managementPort + "/actuator/" + path);
        }
    }

    /** Every identity the launcher issues a certificate to: the services, and an operator's "admin". */
    static final List<String> IDENTITIES = List.of("model-registry", "tokenizer-service", "inference-cpu-service",
            "inference-gpu-service", "scheduler-service", "gateway", "admin");

    /**
     * A CPU worker of a multi-worker platform.
     *
     * @param prefix  what the JVM runs under (e.g. nice, taskset), empty for nothing
     * @param profile the scheduler's device profile for it, declared with {@link #schedulerArgs}
     */
    record WorkerSpec(String id, List<String> args, List<String> prefix, String profile) {
    }

    /** How each service was launched, so that one can be started again on the same ports. */
    private record Launch(String jarName, List<String> args, List<String> prefix) {
    }

    private final Map<String, Launch> launches = new LinkedHashMap<>();
    private List<WorkerSpec> workerSpecs = List.of();
    private List<String> extraSchedulerArgs = List.of();
    private boolean withGateway = true;

    private final Path root = Path.of(System.getProperty("platform.root", "..")).toAbsolutePath().normalize();
    private final String version = System.getProperty("platform.version", "0.1.0-SNAPSHOT");
    private final Path logs = root.resolve("platform-tests/target/platform-logs");
    private final Map<String, Service> services = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String apiKey;
    private final PlatformCertificates certificates;

    LocalPlatform(String apiKey) {
        this.apiKey = apiKey;
        // the same local CA and certificates ./platform up issues, in the build's own folder
        this.certificates = PlatformCertificates.issue(root.resolve("platform-tests/target/certs"), IDENTITIES, List.of());
        // a test JVM that is killed (e.g. by a time-out) must not leave the services running
        Runtime.getRuntime().addShutdownHook(new Thread(() -> services.values().forEach(s -> s.process().destroyForcibly())));
    }

    /** The default model, or another GGUF file given as -Dplatform.model (served under the same name). */
    Path modelFile() {
        return Path.of(System.getProperty("platform.model", root.resolve("models/tiny-kjv-chat/tiny-kjv-chat.gguf").toString()));
    }

    String apiKey() {
        return apiKey;
    }

    /** The platform's local CA and certificates, for tests that call an internal port themselves. */
    PlatformCertificates certificates() {
        return certificates;
    }

    /** gRPC credentials that present {@code identity}'s certificate (e.g. "gateway" to call the scheduler). */
    ChannelCredentials credentials(String identity) {
        try {
            return TlsChannelCredentials.newBuilder()
                    .keyManager(certificates.certificate(identity).toFile(), certificates.privateKey(identity).toFile())
                    .trustManager(certificates.caCertificate().toFile()).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A channel to a service's gRPC port as {@code identity}. */
    ManagedChannel channel(String service, String identity) {
        return Grpc.newChannelBuilderForAddress("127.0.0.1", services.get(service).grpcPort(), credentials(identity)).build();
    }

    /** An HTTP client that presents {@code identity}'s certificate to the internal HTTPS ports. */
    HttpClient httpsClient(String identity) {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
                .sslContext(PemFiles.sslContext(certificates.dir(), identity)).build();
    }

    /** A path on a service's internal HTTPS port (the registry's admin API). */
    URI internal(String service, String path) {
        return URI.create("https://127.0.0.1:" + services.get(service).httpPort() + path);
    }

    /** Starts every service and waits until each is ready; on failure stops what it started. */
    LocalPlatform start() throws IOException, InterruptedException {
        try {
            return startAll();
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Runs these CPU workers instead of the single default one (each service name is
     * {@code inference-cpu-service-<id>}), with these extra scheduler arguments (device profiles, policy).
     */
    LocalPlatform withWorkers(List<WorkerSpec> workers, List<String> schedulerArgs) {
        this.workerSpecs = List.copyOf(workers);
        this.extraSchedulerArgs = List.copyOf(schedulerArgs);
        return this;
    }

    /** Leaves the gateway out, for tests that talk to the scheduler's gRPC API directly. */
    LocalPlatform withoutGateway() {
        this.withGateway = false;
        return this;
    }

    private LocalPlatform startAll() throws IOException, InterruptedException {
        if (!workerSpecs.isEmpty()) {
            return startWithWorkers();
        }
        Files.createDirectories(logs);
        Path data = Files.createTempDirectory("registry-db");
        var registry = launch("model-registry", List.of(
                "--spring.datasource.url=jdbc:h2:file:" + data.resolve("registry"),
                "--registry.default-model.path=" + modelFile(),
                "--registry.artifacts.local-dir=" + data.resolve("artifacts")));
        String registryTarget = "--%s=static://127.0.0.1:" + registry.grpcPort();
        var tokenizer = launch("tokenizer-service", List.of(registryTarget.formatted("tokenizer.registry-target")));
        var worker = launch("inference-cpu-service", List.of(registryTarget.formatted("worker.registry-target"),
                "--worker.worker-id=cpu-e2e", "--worker.slots=2", "--worker.threads=2"));
        var scheduler = launch("scheduler-service", List.of(
                "--scheduler.tokenizer-target=static://127.0.0.1:" + tokenizer.grpcPort(),
                "--scheduler.workers[0].id=cpu-e2e",
                "--scheduler.workers[0].target=static://127.0.0.1:" + worker.grpcPort()));
        launch("gateway", gatewayArgs(scheduler, registry));
        for (Service service : services.values()) {
            awaitReady(service, Duration.ofMinutes(4));
        }
        return this;
    }

    private LocalPlatform startWithWorkers() throws IOException, InterruptedException {
        Files.createDirectories(logs);
        Path data = Files.createTempDirectory("registry-db");
        var registry = launch("model-registry", List.of(
                "--spring.datasource.url=jdbc:h2:file:" + data.resolve("registry"),
                "--registry.default-model.path=" + modelFile()));
        String registryTarget = "--%s=static://127.0.0.1:" + registry.grpcPort();
        var tokenizer = launch("tokenizer-service", List.of(registryTarget.formatted("tokenizer.registry-target")));
        List<String> schedulerArgs = new ArrayList<>(List.of(
                "--scheduler.tokenizer-target=static://127.0.0.1:" + tokenizer.grpcPort()));
        for (int i = 0; i < workerSpecs.size(); i++) {
            WorkerSpec spec = workerSpecs.get(i);
            List<String> args = new ArrayList<>(List.of(registryTarget.formatted("worker.registry-target"),
                    "--worker.worker-id=" + spec.id()));
            args.addAll(spec.args());
            var worker = launch(workerService(spec.id()), "inference-cpu-service", args, spec.prefix(), freePort(), freePort(), freePort());
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
        for (Service service : services.values()) {
            awaitReady(service, Duration.ofMinutes(4));
        }
        return this;
    }

    static String workerService(String workerId) {
        return "inference-cpu-service-" + workerId;
    }

    /** Kills a service's process at once, as a crash would. */
    void kill(String name) throws InterruptedException {
        Process process = services.get(name).process();
        process.destroyForcibly();
        process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Starts a stopped service again on the same ports, without waiting for it to be ready. */
    Service restart(String name) throws IOException {
        Service old = services.get(name);
        if (old.process().isAlive()) {
            throw new IllegalStateException(name + " is still running");
        }
        Launch launch = launches.get(name);
        return launch(name, launch.jarName(), launch.args(), launch.prefix(), old.httpPort(), old.grpcPort(), old.managementPort());
    }

    /** Waits until the service reports itself ready. */
    void awaitReady(String name, Duration timeout) throws InterruptedException {
        awaitReady(services.get(name), timeout);
    }

    Service service(String name) {
        return services.get(name);
    }

    /** Sum over the series of a metric on a service's /actuator/prometheus that carry every label given. */
    double metric(String service, String name, String... labels) throws IOException, InterruptedException {
        String metrics = http.send(HttpRequest.newBuilder(services.get(service).actuator("prometheus"))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .filter(line -> java.util.Arrays.stream(labels).allMatch(line::contains))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    URI gateway(String path) {
        return URI.create("http://127.0.0.1:" + services.get("gateway").httpPort() + path);
    }

    /**
     * The test key without request or token budgets (0 = none): these tests load the platform on purpose, and the
     * gateway's quotas have tests of their own (gateway module), so a fast machine must not turn load into 429s.
     */
    private List<String> gatewayArgs(Service scheduler, Service registry) {
        String sha256 = java.util.HexFormat.of().formatHex(sha256(apiKey));
        return List.of("--gateway.scheduler-target=static://127.0.0.1:" + scheduler.grpcPort(),
                "--gateway.keys[0].name=platform-tests", "--gateway.keys[0].sha256=" + sha256,
                "--gateway.keys[0].requests-per-minute=0", "--gateway.keys[0].tokens-per-minute=0",
                "--gateway.registry-http-url=https://127.0.0.1:" + registry.httpPort());
    }

    private static byte[] sha256(String text) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Service launch(String name, List<String> args) throws IOException {
        return launch(name, name, args, List.of(), freePort(), freePort(), freePort());
    }

    private Service launch(String name, String jarName, List<String> args, List<String> prefix, int httpPort, int grpcPort,
                           int managementPort) throws IOException {
        Path jar = root.resolve(jarName + "/target/" + jarName + "-" + version + "-exec.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the Maven build from the repository root");
        }
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                // own temporary directory: llama.cpp's binding extracts its native library there, and two JVMs
                // rewriting one /tmp/libjllama.so at once can crash the one that already mapped it
                "-Djava.io.tmpdir=" + Files.createDirectories(logs.resolve("tmp").resolve(name + "-" + httpPort)),
                "-jar", jar.toString(),
                "--server.port=" + httpPort,
                "--spring.grpc.server.port=" + grpcPort,
                "--management.server.port=" + managementPort,
                "--platform.security.tls-dir=" + certificates.dir()));
        command.addAll(args);
        Path log = logs.resolve(name + ".log");
        Process process = new ProcessBuilder(command).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(launches.containsKey(name)
                        ? ProcessBuilder.Redirect.appendTo(log.toFile()) : ProcessBuilder.Redirect.to(log.toFile())).start();
        launches.put(name, new Launch(jarName, List.copyOf(args), List.copyOf(prefix)));
        var service = new Service(name, httpPort, grpcPort, managementPort, process, log);
        services.put(name, service);
        return service;
    }

    private void awaitReady(Service service, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        var request = HttpRequest.newBuilder(service.actuator("health/readiness"))
                .timeout(Duration.ofSeconds(2)).build();
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
            Thread.sleep(500);
        }
        throw new IllegalStateException(service.name() + " not ready within " + timeout + "; log:\n" + tail(service.log()));
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Stops a service the way an orderly shutdown does (SIGTERM, SIGKILL after 20 s); {@link #restart} brings it back. */
    void stop(String name) throws InterruptedException {
        Process process = services.get(name).process();
        process.destroy();
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /**
     * Starts a stopped service again on the same ports with some of its arguments replaced (those with the same name
     * before '='), e.g. the registry moved to another database; later restarts keep the new arguments.
     */
    Service restart(String name, List<String> replacingArgs) throws IOException {
        Service old = services.get(name);
        if (old.process().isAlive()) {
            throw new IllegalStateException(name + " is still running");
        }
        Launch launch = launches.get(name);
        List<String> replaced = replacingArgs.stream().map(a -> a.substring(0, a.indexOf('=') + 1)).toList();
        List<String> args = new ArrayList<>(launch.args().stream().filter(a -> replaced.stream().noneMatch(a::startsWith)).toList());
        args.addAll(replacingArgs);
        return launch(name, launch.jarName(), args, launch.prefix(), old.httpPort(), old.grpcPort(), old.managementPort());
    }

    @Override
    public void close() {
        services.values().forEach(s -> s.process().destroy());
        for (Service s : services.values()) {
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
