package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A rolling restart, as Kubernetes does one: each worker in turn gets SIGTERM, drains (takes no new stream, hands
 * the streams that outlive its drain to the other worker by the resume path), starts again and loads its model,
 * and only then is the next one restarted. Under steady streamed load through the gateway, no request fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class RollingRestartTest {

    private static final List<String> WORKERS = List.of("cpu-a", "cpu-b");

    private LocalPlatform platform;

    @BeforeAll
    void startPlatform() throws Exception {
        // a 2 s drain: some streams end within it, the longer ones are resumed on the other worker
        List<String> workerArgs = List.of("--worker.threads=1", "--worker.slots=4", "--worker.drain-timeout=2s");
        platform = new LocalPlatform("sk-rolling-" + System.nanoTime()).withWorkers(WORKERS.stream()
                .map(id -> new LocalPlatform.WorkerSpec(id, workerArgs, List.of(), "cpu")).toList(),
                List.of("--scheduler.admission.max-queue-wait=60s")).start();
    }

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void restartingEveryWorkerInTurnUnderLoadFailsNoRequest() throws Exception {
        var load = new SteadyLoad(platform, 3, 48, 5_000, Duration.ofMinutes(10)).start();
        long began;
        long ended;
        try {
            assertThat(load.awaitSucceeded(5, Duration.ofMinutes(2))).as("requests served before the restarts").isTrue();
            began = System.nanoTime();
            for (String worker : WORKERS) {
                String service = LocalPlatform.workerService(worker);
                platform.stop(service);
                platform.restart(service);
                platform.awaitReady(service, Duration.ofMinutes(4));
                awaitWorkersReady(WORKERS.size(), Duration.ofMinutes(1));
                long servedSoFar = load.succeeded();
                assertThat(load.awaitSucceeded(servedSoFar + 3, Duration.ofMinutes(1))).as("served after %s restarted", worker).isTrue();
            }
            ended = System.nanoTime();
        } finally {
            load.close();
        }
        SteadyLoad.Counts counts = load.counts(began, ended);
        System.out.println("[rolling restart] " + counts + ", resumed mid-stream: " + platform.metric("scheduler-service", "scheduler_resumes_total"));

        assertThat(counts.errors()).as("errors of failed requests").isEmpty();
        assertThat(counts.failed()).isZero();
        assertThat(counts.inside()).as("requests served start to end during the rolling restart").isGreaterThan(5);
    }

    private void awaitWorkersReady(int count, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (platform.metric("scheduler-service", "scheduler_workers_ready") < count && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(platform.metric("scheduler-service", "scheduler_workers_ready")).as("workers ready").isEqualTo(count);
    }
}
