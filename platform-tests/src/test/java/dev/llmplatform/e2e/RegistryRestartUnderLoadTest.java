package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The registry is only needed to find and load models: once the workers and the tokenizer hold them, serving must
 * go on while the registry is away, and the registry must come back with everything it had.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RegistryRestartUnderLoadTest {

    private static final Duration REGISTRY_ABSENCE = Duration.ofSeconds(10);

    private LocalPlatform platform;

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-fault-" + System.nanoTime()).start();
    }

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    @Order(1)
    void servingContinuesWhileTheRegistryRestartsAndItComesBackWithEverythingRegistered() throws Exception {
        List<String> registeredBefore = RegistrySnapshot.of(platform);
        assertThat(registeredBefore).isNotEmpty();

        var load = new SteadyLoad(platform, 2, 12, 2_000, Duration.ofMinutes(5)).start();
        long stopped;
        long restarted;
        try {
            assertThat(load.awaitSucceeded(3, Duration.ofMinutes(1))).as("requests served before the fault").isTrue();

            stopped = System.nanoTime();
            platform.stop("model-registry");
            Thread.sleep(REGISTRY_ABSENCE.toMillis());
            restarted = System.nanoTime();
            platform.restart("model-registry");
            platform.awaitReady("model-registry", Duration.ofMinutes(3));

            long servedSoFar = load.succeeded();
            assertThat(load.awaitSucceeded(servedSoFar + 3, Duration.ofMinutes(1))).as("requests served after the restart").isTrue();
        } finally {
            load.close();
        }
        SteadyLoad.Counts counts = load.counts(stopped, restarted);
        System.out.println("[fault] registry restart (down " + REGISTRY_ABSENCE.toSeconds() + " s, then restarted): " + counts);

        assertThat(counts.errors()).as("errors of failed requests").isEmpty();
        assertThat(counts.failed()).isZero();
        assertThat(counts.inside()).as("requests served start to end while the registry was down").isPositive();
        assertThat(RegistrySnapshot.of(platform)).as("what the registry holds after its restart").isEqualTo(registeredBefore);
    }

    /**
     * The worker, the tokenizer and the scheduler keep the registry's last known state on disk: restarted while the
     * registry is down, they serve from it. Meanwhile a request for the model, which no worker serves yet, is
     * UNAVAILABLE with a retry hint (HTTP 503 with Retry-After), never NOT_FOUND.
     */
    @Test
    @Order(2)
    void servicesRestartedWhileTheRegistryIsDownServeFromItsLastKnownState() throws Exception {
        platform.stop("model-registry");
        try {
            platform.kill("inference-cpu-service");
            platform.kill("tokenizer-service");
            platform.kill("scheduler-service");

            platform.restart("tokenizer-service");
            platform.awaitReady("tokenizer-service", Duration.ofMinutes(3));
            platform.restart("scheduler-service");

            var scheduler = platform.channel("scheduler-service", "gateway");
            try {
                Status status = firstAnswerOf(scheduler, Duration.ofMinutes(2));
                assertThat(status.getCode()).as("a model in production whose only worker is down: %s", status).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(status.getDescription()).contains("no worker serves model");
            } finally {
                scheduler.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }

            platform.restart("inference-cpu-service");
            platform.awaitReady("inference-cpu-service", Duration.ofMinutes(3));
            platform.awaitReady("scheduler-service", Duration.ofMinutes(1));
            var load = new SteadyLoad(platform, 1, 12, 3, Duration.ofMinutes(2)).start();
            try {
                assertThat(load.awaitSucceeded(3, Duration.ofMinutes(1))).as("chat served with the registry still down").isTrue();
            } finally {
                load.close();
            }
            assertThat(load.counts(0, 0).failed()).isZero();
        } finally {
            platform.restart("model-registry");
            platform.awaitReady("model-registry", Duration.ofMinutes(3));
        }
    }

    /** The scheduler's answer to one generation once it listens: its status (OK when a token came). */
    private static Status firstAnswerOf(ManagedChannel scheduler, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Status last = Status.DEADLINE_EXCEEDED.withDescription("the scheduler did not answer within " + timeout);
        while (System.nanoTime() < deadline) {
            try {
                var chunks = SchedulerGrpc.newBlockingStub(scheduler).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .generate(ScheduleGenerateRequest.newBuilder().setRequestId("registry-down-" + System.nanoTime())
                                .setModel(LocalPlatform.MODEL).setPrompt("In the beginning")
                                .setSampling(SamplingParams.newBuilder().setMaxTokens(4)).build());
                chunks.hasNext();
                return Status.OK;
            } catch (StatusRuntimeException e) {
                last = e.getStatus();
                boolean schedulerNotUpYet = last.getCode() == Status.Code.UNAVAILABLE
                        && (last.getDescription() == null || !last.getDescription().contains("no worker serves model"));
                if (!schedulerNotUpYet) {
                    return last;
                }
            }
            Thread.sleep(250);
        }
        return last;
    }
}
