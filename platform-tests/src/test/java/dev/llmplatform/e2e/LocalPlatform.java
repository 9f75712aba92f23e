package dev.llmplatform.e2e;

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

    record Service(String name, int httpPort, int grpcPort, Process process, Path log) {
    }

    private final Path root = Path.of(System.getProperty("platform.root", "..")).toAbsolutePath().normalize();
    private final String version = System.getProperty("platform.version", "0.1.0-SNAPSHOT");
    private final Path logs = root.resolve("platform-tests/target/platform-logs");
    private final Map<String, Service> services = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String apiKey;
    /** The command line each service was started with, so that a fault test can start it again on the same ports. */
    private final Map<String, List<String>> commands = new LinkedHashMap<>();
    private List<String> registryDatabase;

    LocalPlatform(String apiKey) {
        this.apiKey = apiKey;
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

    /** Starts every service and waits until each is ready; on failure stops what it started. */
    LocalPlatform start() throws IOException, InterruptedException {
        try {
            return startAll();
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private LocalPlatform startAll() throws IOException, InterruptedException {
        Files.createDirectories(logs);
        Path data = Files.createTempDirectory("registry-db");
        var registryArgs = new ArrayList<>(registryDatabase != null ? registryDatabase
                : List.of("--spring.datasource.url=jdbc:h2:file:" + data.resolve("registry")));
        registryArgs.add("--registry.default-model.path=" + modelFile());
        var registry = launch("model-registry", registryArgs);
        String registryTarget = "--%s=static://127.0.0.1:" + registry.grpcPort();
        var tokenizer = launch("tokenizer-service", List.of(registryTarget.formatted("tokenizer.registry-target")));
        var worker = launch("inference-cpu-service", List.of(registryTarget.formatted("worker.registry-target"),
                "--worker.worker-id=cpu-e2e", "--worker.slots=2", "--worker.threads=2"));
        var scheduler = launch("scheduler-service", List.of(
                "--scheduler.tokenizer-target=static://127.0.0.1:" + tokenizer.grpcPort(),
                "--scheduler.workers[0].id=cpu-e2e",
                "--scheduler.workers[0].target=static://127.0.0.1:" + worker.grpcPort()));
        launch("gateway", List.of("--gateway.scheduler-target=static://127.0.0.1:" + scheduler.grpcPort(),
                "--gateway.api-keys=" + apiKey, "--gateway.registry-http-url=http://127.0.0.1:" + registry.httpPort()));
        for (Service service : services.values()) {
            awaitReady(service, Duration.ofMinutes(4));
        }
        return this;
    }

    Service service(String name) {
        return services.get(name);
    }

    URI gateway(String path) {
        return URI.create("http://127.0.0.1:" + services.get("gateway").httpPort() + path);
    }

    private Service launch(String name, List<String> args) throws IOException {
        int httpPort = freePort();
        int grpcPort = freePort();
        Path jar = root.resolve(name + "/target/" + name + "-" + version + "-exec.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the Maven build from the repository root");
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                "-jar", jar.toString(),
                "--server.port=" + httpPort,
                "--spring.grpc.server.port=" + grpcPort,
                "--spring.grpc.server.address=127.0.0.1"));
        command.addAll(args);
        commands.put(name, List.copyOf(command));
        Path log = logs.resolve(name + ".log");
        Process process = new ProcessBuilder(command).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        var service = new Service(name, httpPort, grpcPort, process, log);
        services.put(name, service);
        return service;
    }

    private void awaitReady(Service service, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/actuator/health/readiness"))
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

    /**
     * Serves the registry from another database (e.g. PostgreSQL with a per-run schema) instead of a fresh H2 file:
     * the datasource and Flyway arguments to start it with; call before {@link #start()}.
     */
    LocalPlatform withRegistryDatabase(List<String> datasourceArgs) {
        this.registryDatabase = List.copyOf(datasourceArgs);
        return this;
    }

    /** Stops one service (SIGTERM, then SIGKILL after 20 s); its ports stay reserved for {@link #startAgain}. */
    void stop(String name) throws InterruptedException {
        Process process = services.get(name).process();
        process.destroy();
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /** Starts a stopped service again with its original command line and ports (log appended), and waits until ready. */
    Service startAgain(String name, Duration readyWithin) throws IOException, InterruptedException {
        Service old = services.get(name);
        Process process = new ProcessBuilder(commands.get(name)).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(old.log().toFile())).start();
        var service = new Service(name, old.httpPort(), old.grpcPort(), process, old.log());
        services.put(name, service);
        awaitReady(service, readyWithin);
        return service;
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
