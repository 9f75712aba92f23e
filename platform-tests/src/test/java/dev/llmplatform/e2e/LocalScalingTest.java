package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.commons.security.PlatformCertificates;
import dev.llmplatform.launcher.LocalPlatform;
import dev.llmplatform.launcher.LocalService;
import dev.llmplatform.launcher.PlatformCommand;
import dev.llmplatform.launcher.Ports;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./platform scale inference-cpu-service N} as the platform script runs it (PlatformCommand), with its state in
 * a folder of its own and every service on free ports, beside any platform a developer runs: scaled to 2, the scheduler
 * finds the second replica by its replica file and places requests on both; scaled back to 1, the replica is gone and
 * every request is still served.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class LocalScalingTest {

    private static final String WORKER = "inference-cpu-service";
    private static final Duration WAIT = Duration.ofMinutes(2);

    private final Path root = Path.of(System.getProperty("platform.root", "..")).toAbsolutePath().normalize();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Path state;
    private List<LocalService> table;
    private PlatformCommand platform;
    private ManagedChannel scheduler;

    @BeforeAll
    void platformUp() throws Exception {
        state = Files.createTempDirectory(Files.createDirectories(Path.of("target").toAbsolutePath()), "local-scaling-");
        Set<Integer> ports = new HashSet<>();
        // what a scaled worker needs: the registry, the tokenizer, replica 1 and the scheduler (no gateway: the test is
        // the scheduler's caller, as the gateway would be)
        table = Stream.of("model-registry", "tokenizer-service", WORKER, "scheduler-service")
                .map(name -> LocalService.named(name).on(Ports.free(ports))).toList();
        platform = new PlatformCommand(root, state, table);
        assertThat(platform.up()).as("up; logs in " + state.resolve("logs")).isZero();
        var certificates = PlatformCertificates.issue(state.resolve("certs"), LocalService.IDENTITIES, List.of());
        scheduler = Grpc.newChannelBuilderForAddress("127.0.0.1", portsOf("scheduler-service").grpc(), TlsChannelCredentials.newBuilder()
                .keyManager(certificates.certificate("gateway").toFile(), certificates.privateKey("gateway").toFile())
                .trustManager(certificates.caCertificate().toFile()).build()).build();
        assertThat(awaitReadyWorkers(1)).as("replica 1 ready in the scheduler").isEqualTo(1);
    }

    @AfterAll
    void platformDown() throws Exception {
        if (scheduler != null) {
            scheduler.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (state == null || !Files.isDirectory(state.resolve("pids"))) {
            return;
        }
        // what ./platform down does: every process of a pid file, SIGTERM, SIGKILL after a deadline
        List<ProcessHandle> running = new ArrayList<>();
        try (var pids = Files.list(state.resolve("pids"))) {
            for (Path pid : pids.toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(running::add);
            }
        }
        running.forEach(ProcessHandle::destroy);
        for (ProcessHandle process : running) {
            try {
                process.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void scaledToTwoTheSchedulerPlacesOnBothReplicasAndScaledBackToOneTheReplicaIsGoneAndRequestsStillSucceed() throws Exception {
        assertThat(platform.scale(WORKER, "2")).isZero();

        Path replicaFile = state.resolve("replicas/" + WORKER + "-2.properties");
        Path pidFile = state.resolve("pids/" + WORKER + "-2.pid");
        assertThat(replicaFile).exists();
        ProcessHandle replica = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).orElseThrow();
        assertThat(awaitReadyWorkers(2)).as("both replicas ready in the scheduler").isEqualTo(2);

        // round-robin, so that two idle replicas both get work; a few rounds at most, should one be slow to warm up
        Map<String, Long> served = new TreeMap<>();
        for (int round = 0; round < 5 && served.size() < 2; round++) {
            run(6, 2).forEach(worker -> served.merge(worker, 1L, Long::sum));
        }
        System.out.println("[local scaling] placements with 2 replicas: " + served);
        assertThat(served).containsOnlyKeys("cpu-0", "cpu-2");

        String status = status();
        assertThat(status.lines()).anySatisfy(line -> assertThat(line).matches(WORKER + " +\\d+ +yes .*"));
        assertThat(status.lines()).anySatisfy(line -> assertThat(line).matches(WORKER + "-2 +" + replica.pid() + " +yes .*"));

        assertThat(platform.scale(WORKER, "1")).isZero();

        assertThat(replica.isAlive()).as("replica 2 stopped").isFalse();
        assertThat(replicaFile).doesNotExist();
        assertThat(pidFile).doesNotExist();
        assertThat(Files.readString(state.resolve("logs/scheduler-service.log")))
                .as("the scheduler dropped it").contains("Discovered local worker replicas: []");
        assertThat(status().lines()).noneMatch(line -> line.startsWith(WORKER + "-2"));
        Map<String, Long> afterwards = run(6, 2).stream().collect(Collectors.groupingBy(w -> w, TreeMap::new, Collectors.counting()));
        assertThat(afterwards).containsOnlyKeys("cpu-0");
    }

    @Test
    void onlyTheWorkersScale() throws Exception {
        assertThat(platform.scale("scheduler-service", "2")).isEqualTo(2);
        assertThat(platform.scale(WORKER, "0")).isEqualTo(2);
        try (var pids = Files.list(state.resolve("pids"))) {
            assertThat(pids.map(p -> p.getFileName().toString())).doesNotContain("scheduler-service-2.pid");
        }
    }

    /** The worker that served each request; every one of them completed. */
    private List<String> run(int requests, int concurrency) throws Exception {
        try (ExecutorService clients = Executors.newFixedThreadPool(concurrency)) {
            List<Callable<String>> jobs = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                String prompt = "In the beginning " + i;
                jobs.add(() -> generate(prompt));
            }
            List<String> workers = new ArrayList<>();
            for (Future<String> f : clients.invokeAll(jobs, 3, TimeUnit.MINUTES)) {
                workers.add(f.get());
            }
            return workers;
        }
    }

    private String generate(String prompt) {
        String worker = null;
        try {
            var stream = SchedulerGrpc.newBlockingStub(scheduler).withDeadlineAfter(2, TimeUnit.MINUTES)
                    .generate(ScheduleGenerateRequest.newBuilder()
                            .setRequestId("scale-" + System.nanoTime())
                            .setModel(LocalPlatform.MODEL)
                            .setPrompt(prompt)
                            .setPolicy("round-robin")
                            .setSampling(SamplingParams.newBuilder().setMaxTokens(16).setTemperature(0.8f).setSeed(prompt.hashCode()))
                            .build());
            while (stream.hasNext()) {
                ScheduleGenerateChunk chunk = stream.next();
                if (worker == null) {
                    worker = chunk.getWorkerId();
                }
            }
        } catch (StatusRuntimeException e) {
            throw new AssertionError("request failed on " + worker + ": " + e.getStatus(), e);
        }
        return worker;
    }

    /** What ./platform status prints. */
    private String status() throws Exception {
        PrintStream out = System.out;
        var captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(platform.status()).isZero();
        } finally {
            System.setOut(out);
        }
        String status = captured.toString(StandardCharsets.UTF_8);
        System.out.print(status);
        return status;
    }

    /** The CPU workers the scheduler counts ready, once it counts {@code count} or after {@link #WAIT}. */
    private int awaitReadyWorkers(int count) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        int ready = readyWorkers();
        while (ready != count && System.nanoTime() < deadline) {
            Thread.sleep(200);
            ready = readyWorkers();
        }
        return ready;
    }

    private int readyWorkers() throws Exception {
        var uri = URI.create("http://127.0.0.1:" + portsOf("scheduler-service").management() + "/actuator/prometheus");
        String metrics = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Optional<String> line = metrics.lines().filter(l -> l.startsWith("scheduler_workers_ready{") && l.contains("pool=\"cpu\"")).findFirst();
        return line.map(l -> (int) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(0);
    }

    private Ports portsOf(String service) {
        return table.stream().filter(s -> s.name().equals(service)).findFirst().orElseThrow().ports();
    }
}
