package dev.llmplatform.bench;

import java.io.IOException;
import java.net.InetAddress;
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
 * The platform's five services started by the benchmark itself, each its own JVM from its executable jar, on free
 * loopback ports (so that the benchmark never collides with a platform someone else is running), the way
 * platform-tests' LocalPlatform starts them. Stopped when closed; logs under {@code logs}.
 */
final class LaunchedPlatform implements AutoCloseable {

    record Service(String name, int httpPort, int grpcPort, int managementPort, Process process, Path log) {
    }

    private static final List<String> IDENTITIES = List.of("model-registry", "tokenizer-service", "inference-cpu-service",
            "inference-gpu-service", "scheduler-service", "gateway", "admin");

    private final Path root;
    private final String version;
    private final Path logs;
    private final Map<String, Service> services = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path tlsDir;

    LaunchedPlatform(Path root, String version, Path logs) {
        this.root = root;
        this.version = version;
        this.logs = logs;
        this.tlsDir = logs.resolve("certs");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> services.values().forEach(s -> s.process().destroyForcibly())));
    }

    private List<String> serviceArgs = List.of();

    /**
     * Starts every service, the worker with the given slots and threads, and waits until each is ready.
     *
     * @param serviceArgs given to every service after its own (e.g. --platform.security.enabled=false)
     */
    LaunchedPlatform start(Path model, String apiKey, int workerSlots, int workerThreads, List<String> serviceArgs)
            throws IOException, InterruptedException {
        this.serviceArgs = List.copyOf(serviceArgs);
        try {
            Files.createDirectories(logs);
            dev.llmplatform.commons.security.PlatformCertificates.issue(tlsDir, IDENTITIES, List.of());
            Path data = Files.createTempDirectory("bench-registry-db");
            var registry = launch("model-registry", List.of("--spring.datasource.url=jdbc:h2:file:" + data.resolve("registry"),
                    "--registry.default-model.path=" + model));
            String registryTarget = "--%s=static://127.0.0.1:" + registry.grpcPort();
            var tokenizer = launch("tokenizer-service", List.of(registryTarget.formatted("tokenizer.registry-target")));
            var worker = launch("inference-cpu-service", List.of(registryTarget.formatted("worker.registry-target"),
                    "--worker.worker-id=cpu-bench", "--worker.slots=" + workerSlots, "--worker.threads=" + workerThreads));
            var scheduler = launch("scheduler-service", List.of(
                    "--scheduler.tokenizer-target=static://127.0.0.1:" + tokenizer.grpcPort(),
                    "--scheduler.workers[0].id=cpu-bench",
                    "--scheduler.workers[0].target=static://127.0.0.1:" + worker.grpcPort()));
            launch("gateway", List.of("--gateway.scheduler-target=static://127.0.0.1:" + scheduler.grpcPort(),
                    "--gateway.api-keys=" + apiKey, "--gateway.registry-http-url=https://127.0.0.1:" + registry.httpPort()));
            for (Service service : services.values()) {
                awaitReady(service, Duration.ofMinutes(4));
            }
            return this;
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The local CA and the services' certificates, for calling an internal port directly. */
    Path tlsDir() {
        return tlsDir;
    }

    Service service(String name) {
        return services.get(name);
    }

    private Service launch(String name, List<String> args) throws IOException {
        int httpPort = freePort();
        int grpcPort = freePort();
        int managementPort = freePort();
        Path jar = root.resolve(name + "/target/" + name + "-" + version + "-exec.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build the services first (./mvnw -pl bench -am package -DskipTests)");
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
                "-jar", jar.toString(),
                "--server.port=" + httpPort,
                "--spring.grpc.server.port=" + grpcPort,
                "--management.server.port=" + managementPort,
                "--platform.security.tls-dir=" + tlsDir));
        command.addAll(args);
        command.addAll(serviceArgs);
        Path log = logs.resolve(name + ".log");
        Process process = new ProcessBuilder(command).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        var service = new Service(name, httpPort, grpcPort, managementPort, process, log);
        services.put(name, service);
        return service;
    }

    private void awaitReady(Service service, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.managementPort() + "/actuator/health/readiness"))
                .timeout(Duration.ofSeconds(2)).build();
        while (System.nanoTime() < deadline) {
            if (!service.process().isAlive()) {
                throw new IllegalStateException(service.name() + " exited with " + service.process().exitValue() + "; see " + service.log());
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
        throw new IllegalStateException(service.name() + " not ready within " + timeout + "; see " + service.log());
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
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
