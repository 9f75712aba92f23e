package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Two CPU worker processes of different measured speed behind one scheduler, each its own JVM on loopback. Both
 * run on the same core; the slow one under nice 19, so that whenever both are busy it gets a small share of it.
 * The scheduler is told the same speed for both (its seeds): any difference it acts on is one it measured on their
 * streams. Their device profiles differ: the slow one draws 1 W more when busy, the fast one 300 W, so the slow
 * one is the more efficient per token unless it is 300 times slower. (Under nice 19 it gets about 1/68 of the
 * core while both are busy, so a narrower margin would let the measured speeds flip the energy-first choice; and
 * its deadline is generous, so that its slow measured speed does not push it past the finish-within limit.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class HeterogeneousPoolTest {

    private static final String FAST = "cpu-fast";
    private static final String SLOW = "cpu-slow";

    private LocalPlatform platform;
    private ManagedChannel channel;
    private final Map<String, ManagedChannel> workerChannels = new java.util.concurrent.ConcurrentHashMap<>();

    /** What one request came to. */
    record Outcome(String workerId, int chunks, int tokens, Status.Code error) {
        boolean completed() {
            return error == null;
        }
    }

    @BeforeAll
    void startPlatform() throws Exception {
        List<String> oneCore = Files.isExecutable(Path.of("/usr/bin/taskset")) ? List.of("taskset", "-c", "0") : List.of();
        List<String> lowPriority = new ArrayList<>(List.of("nice", "-n", "19"));
        lowPriority.addAll(oneCore);
        List<String> workerArgs = List.of("--worker.threads=1", "--worker.slots=2");
        platform = new LocalPlatform("sk-pool-" + System.nanoTime()).withoutGateway().withWorkers(List.of(
                new LocalPlatform.WorkerSpec(FAST, workerArgs, oneCore, "hungry"),
                new LocalPlatform.WorkerSpec(SLOW, workerArgs, lowPriority, "frugal")), List.of(
                "--scheduler.device-profiles.hungry.load-watts=320",
                "--scheduler.device-profiles.hungry.idle-watts=20",
                "--scheduler.device-profiles.hungry.prefill-tokens-per-second=2000",
                "--scheduler.device-profiles.hungry.decode-tokens-per-second=200",
                "--scheduler.device-profiles.frugal.load-watts=11",
                "--scheduler.device-profiles.frugal.idle-watts=10",
                "--scheduler.device-profiles.frugal.prefill-tokens-per-second=2000",
                "--scheduler.device-profiles.frugal.decode-tokens-per-second=200",
                "--scheduler.placement.finish-within=600s",
                "--scheduler.placement.output-estimate=max-tokens",
                "--scheduler.admission.worker-queue=4",
                "--scheduler.admission.max-queue-wait=120s",
                "--scheduler.breaker.wait-in-open-state=3s")).start();
        // the gateway's role: the only caller the scheduler serves
        channel = platform.channel("scheduler-service", "gateway");
    }

    @AfterAll
    void stopPlatform() throws InterruptedException {
        workerChannels.values().forEach(ManagedChannel::shutdownNow);
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    @Order(1)
    void latencyFirstSendsMoreWorkToTheFasterWorkerAndEnergyFirstToTheMoreEfficientOne() throws Exception {
        // warm-up: a few requests on each, so that the scheduler has measured both. Under a loaded machine the nice'd
        // worker can still be loading when the platform reads as started (it then got none of the warm-up and its
        // speed read 0 in a CI run), so wait for the scheduler to count both ready, and warm up until both served.
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (platform.metric("scheduler-service", "scheduler_workers_ready") < 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        for (int round = 0; round < 5; round++) {
            var served = countByWorker(run("round-robin", 6, 2, 32));
            if (served.getOrDefault(FAST, 0L) > 0 && served.getOrDefault(SLOW, 0L) > 0) {
                break;
            }
        }

        var latency = countByWorker(run("latency-first", 24, 4, 48));
        double fastSpeed = load(FAST).getDecodeTokensPerSecond();
        double slowSpeed = load(SLOW).getDecodeTokensPerSecond();
        var energy = countByWorker(run("energy-first", 12, 2, 48));

        System.out.printf("[scheduler e2e] worker-measured decode tok/s per sequence: %s=%.1f %s=%.1f%n", FAST, fastSpeed, SLOW, slowSpeed);
        System.out.printf("[scheduler e2e] latency-first placements: %s; energy-first placements: %s%n", latency, energy);
        // not asserted: each worker measures its steps, and decoding alone the nice'd one is as fast as the other (a CI
        // run read 704 against 622 tok/s); it is slower only while both are busy, which is what the placements show
        assertThat(latency.getOrDefault(FAST, 0L)).isGreaterThan(latency.getOrDefault(SLOW, 0L));
        assertThat(energy.getOrDefault(SLOW, 0L)).isGreaterThan(energy.getOrDefault(FAST, 0L));
    }

    @Test
    @Order(2)
    void aWorkerKilledUnderLoadFailsNoRequestAndItsBreakerOpensAndLaterCloses() throws Exception {
        // round-robin keeps both busy, so the slow worker has requests waiting for a slot when it is killed
        String victim = SLOW;
        String survivor = FAST;
        double failoversBefore = schedulerMetric("scheduler_failovers_total", "");
        double resumesBefore = schedulerMetric("scheduler_resumes_total", "");
        int requests = 36;
        int waitingAtKill;
        long killedAt;
        AtomicInteger finished = new AtomicInteger();
        List<Outcome> outcomes;
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            List<Future<Outcome>> futures = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                String prompt = "And it came to pass " + i;
                futures.add(clients.submit(() -> {
                    try {
                        return generate("round-robin", prompt, 160);
                    } finally {
                        finished.incrementAndGet();
                    }
                }));
            }
            // kill it once it has requests waiting for a slot (they have not started streaming)
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while ((finished.get() < 4 || load(victim).getWaiting() == 0) && finished.get() < requests - 8
                    && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            waitingAtKill = load(victim).getWaiting();
            platform.kill(LocalPlatform.workerService(victim));
            killedAt = System.nanoTime();
            long opened = awaitBreakerState(victim, "open", Duration.ofSeconds(60));
            System.out.printf("[scheduler e2e] breaker of %s open %d ms after the kill%n", victim,
                    opened < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
            assertThat(opened).as("breaker of the killed worker opens").isGreaterThanOrEqualTo(0);
            outcomes = new ArrayList<>();
            for (Future<Outcome> f : futures) {
                outcomes.add(f.get(5, TimeUnit.MINUTES));
            }
        }
        long completed = outcomes.stream().filter(Outcome::completed).count();
        long failedMidStream = outcomes.stream().filter(o -> !o.completed() && o.chunks() > 0).count();
        var failedBeforeStreaming = outcomes.stream().filter(o -> !o.completed() && o.chunks() == 0).map(Outcome::error).toList();
        double failovers = schedulerMetric("scheduler_failovers_total", "") - failoversBefore;
        double resumes = schedulerMetric("scheduler_resumes_total", "") - resumesBefore;

        System.out.printf("[scheduler e2e] kill: %d requests, %d waiting on %s when killed, %d completed (%d on %s), %d failed "
                        + "mid-stream, failed before streaming: %s, %.0f failovers, %.0f resumed mid-stream%n",
                requests, waitingAtKill, victim, completed, outcomes.stream().filter(o -> o.completed() && survivor.equals(o.workerId())).count(),
                survivor, failedMidStream, failedBeforeStreaming, failovers, resumes);
        assertThat(failedBeforeStreaming).as("requests that had not started streaming fail over without an error").isEmpty();
        assertThat(failedMidStream).as("streams of the killed worker resume on the other (MidStreamFailoverTest checks their text)").isZero();
        assertThat(completed).isEqualTo(requests);
        if (waitingAtKill > 0) {
            assertThat(failovers).as("requests waiting on the killed worker were placed again").isGreaterThanOrEqualTo(1);
        }

        platform.restart(LocalPlatform.workerService(victim));
        platform.awaitReady(LocalPlatform.workerService(victim), Duration.ofMinutes(4));
        long closedWithin = awaitBreakerState(victim, "closed", Duration.ofSeconds(90));
        // a closed breaker is one condition of placement; the worker's load stream must also have reconnected
        // (it retries every second), so wait until the scheduler counts both workers available again
        long readyDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (schedulerMetric("scheduler_workers_ready") < 2 && System.nanoTime() < readyDeadline) {
            Thread.sleep(200);
        }
        var afterwards = countByWorker(run("round-robin", 4, 1, 16));
        System.out.printf("[scheduler e2e] breaker closed %d ms after the worker was ready again; round-robin afterwards: %s%n",
                closedWithin, afterwards);
        assertThat(closedWithin).as("breaker closes once the worker is back").isGreaterThanOrEqualTo(0);
        assertThat(afterwards).containsKey(victim);
    }

    private List<Outcome> run(String policy, int requests, int concurrency, int maxTokens) throws Exception {
        try (ExecutorService clients = Executors.newFixedThreadPool(concurrency)) {
            List<Callable<Outcome>> jobs = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                String prompt = "In the beginning " + policy + " " + i;
                jobs.add(() -> generate(policy, prompt, maxTokens));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> f : clients.invokeAll(jobs, 5, TimeUnit.MINUTES)) {
                outcomes.add(f.get());
            }
            assertThat(outcomes).allSatisfy(o -> assertThat(o.completed()).as("request failed: " + o).isTrue());
            return outcomes;
        }
    }

    private static Map<String, Long> countByWorker(List<Outcome> outcomes) {
        return outcomes.stream().collect(Collectors.groupingBy(Outcome::workerId, java.util.TreeMap::new, Collectors.counting()));
    }

    private Outcome generate(String policy, String prompt, int maxTokens) {
        String worker = null;
        int chunks = 0;
        int tokens = 0;
        try {
            var stream = SchedulerGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES)
                    .generate(ScheduleGenerateRequest.newBuilder()
                            .setRequestId("e2e-" + System.nanoTime())
                            .setModel(LocalPlatform.MODEL)
                            .setPrompt(prompt)
                            .setPolicy(policy)
                            .setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens).setTemperature(0.8f).setSeed(chunks + prompt.hashCode()))
                            .build());
            while (stream.hasNext()) {
                ScheduleGenerateChunk chunk = stream.next();
                if (worker == null) {
                    worker = chunk.getWorkerId();
                }
                chunks++;
                tokens += chunk.getTokenCount();
            }
            return new Outcome(worker, chunks, tokens, null);
        } catch (StatusRuntimeException e) {
            return new Outcome(worker, chunks, tokens, e.getStatus().getCode());
        }
    }

    /** The worker's own load report, over a channel kept open so that polling it is cheap. */
    private LoadReport load(String workerId) {
        var service = platform.service(LocalPlatform.workerService(workerId));
        ManagedChannel worker = workerChannels.computeIfAbsent(workerId,
                id -> platform.channel(service.name(), "scheduler-service"));
        return InferenceWorkerGrpc.newBlockingStub(worker).withDeadlineAfter(10, TimeUnit.SECONDS).getLoad(GetLoadRequest.getDefaultInstance());
    }

    /** Milliseconds until the breaker of {@code workerId} is in {@code state}, or -1 when it was not within the limit. */
    private long awaitBreakerState(String workerId, String state, Duration limit) throws Exception {
        long start = System.nanoTime();
        while (System.nanoTime() - start < limit.toNanos()) {
            if (schedulerMetric("resilience4j_circuitbreaker_state", "name=\"" + workerId + "\"", "state=\"" + state + "\"") == 1.0) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            }
            Thread.sleep(200);
        }
        return -1;
    }

    private double schedulerMetric(String name, String... labels) throws Exception {
        return platform.metric("scheduler-service", name, labels);
    }
}
