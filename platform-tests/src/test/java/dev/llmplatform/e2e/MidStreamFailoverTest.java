package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Mid-stream failover with real processes: two CPU workers behind one scheduler, 8 streams spread over both, one
 * worker killed with SIGKILL while they stream. The streams it was serving resume on the other worker from the
 * tokens already sent, and every caller gets the very answer a fault-free run of the same prompts gives: no failed
 * request, no byte repeated or missing (greedy: byte for byte; seeded: see its test). Each test restarts the killed
 * worker at its end, so that the next finds two again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class MidStreamFailoverTest {

    private static final String VICTIM = "cpu-a";
    private static final String SURVIVOR = "cpu-b";
    private static final int STREAMS = 8;
    private static final int MAX_TOKENS = 384;
    /** Tokens every stream must have received before the kill: it then falls mid-stream for the victim's. */
    private static final int TOKENS_BEFORE_KILL = 6;

    private LocalPlatform platform;
    private ManagedChannel channel;

    /** One caller's answer: its text and token count, or the error it ended with. */
    record Answer(String text, int tokens, int completionTokens, List<String> workers, String error) {
    }

    @BeforeAll
    void startPlatform() throws Exception {
        // 8 slots each: every stream, resumed ones included, has a slot at once, so the kill alone is what differs
        // a drain of 1 s: the SIGTERM test's streams outlive it, so it ends them and they resume on the other worker
        List<String> workerArgs = List.of("--worker.threads=1", "--worker.slots=8", "--worker.drain-timeout=1s");
        platform = new LocalPlatform("sk-resume-" + System.nanoTime()).withoutGateway().withWorkers(List.of(
                new LocalPlatform.WorkerSpec(VICTIM, workerArgs, List.of(), "cpu"),
                new LocalPlatform.WorkerSpec(SURVIVOR, workerArgs, List.of(), "cpu")), List.of(
                "--scheduler.admission.max-queue-wait=120s",
                "--scheduler.breaker.wait-in-open-state=3s")).start();
        channel = platform.channel("scheduler-service", "gateway");
    }

    @AfterAll
    void stopPlatform() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (platform != null) {
            platform.close();
        }
    }

    /** The same prompts run without a fault and then with the kill; the resumes the scheduler counted. */
    private record Runs(List<Answer> faultFree, List<Answer> withKill, double resumes) {
    }

    /** What happens to the victim while its streams run. */
    @FunctionalInterface
    private interface Fault {
        void strike(String service) throws Exception;
    }

    @Test
    @Order(1)
    void greedyStreamsOfAKilledWorkerResumeOnTheOtherAndEveryAnswerIsTheFaultFreeOne() throws Exception {
        Runs runs = runWithAndWithoutAKill(SamplingParams.newBuilder().setMaxTokens(MAX_TOKENS).setTemperature(0f).build());
        assertEveryAnswerIsTheFaultFreeOne(runs);
    }

    /**
     * SIGTERM, as a rolling restart sends it: the worker drains (takes no new stream, reports itself not ready), and
     * the streams that outlive its 1 s drain end with UNAVAILABLE after their tokens and resume on the other worker.
     */
    @Test
    @Order(3)
    void greedyStreamsOfAWorkerStoppedWithSigtermOutliveItsDrainByResumingAndEveryAnswerIsTheFaultFreeOne() throws Exception {
        Runs runs = runWithAndWithout(SamplingParams.newBuilder().setMaxTokens(MAX_TOKENS).setTemperature(0f).build(), platform::stop, false);
        assertEveryAnswerIsTheFaultFreeOne(runs);
    }

    private static void assertEveryAnswerIsTheFaultFreeOne(Runs runs) {
        for (int i = 0; i < STREAMS; i++) {
            Answer answer = runs.withKill().get(i);
            Answer reference = runs.faultFree().get(i);
            assertThat(answer.text()).as("answer %d, byte for byte", i).isEqualTo(reference.text());
            assertThat(answer.tokens()).as("tokens streamed for answer %d", i).isEqualTo(reference.tokens());
            assertThat(answer.completionTokens()).as("usage of answer %d", i).isEqualTo(reference.completionTokens());
        }
    }

    /**
     * Seeded sampling resumes at the same position with the same draw (the engine test shows the continuation is the
     * uninterrupted one for the same logits). Byte equality with a fault-free run is not asserted here: on llama.cpp's
     * CPU build the logits of a sequence differ in their last bits with the shape of the batch it is decoded in (how
     * many sequences share a step, prefill or decode), and now and then that moves a random draw across a boundary;
     * the fault-free run of the same seeded request does the same when only its neighbours change (measured: alone vs
     * batched with 7 others, the first different token was the 123rd of 384; here, streams never resumed differ from
     * the fault-free run as often as resumed ones). Greedy argmax is not that sensitive.
     */
    @Test
    @Order(2)
    void seededStreamsOfAKilledWorkerResumeOnTheOtherWithoutAFailureAndWithUsageCountingTheWholeAnswer() throws Exception {
        Runs runs = runWithAndWithoutAKill(SamplingParams.newBuilder().setMaxTokens(MAX_TOKENS).setTemperature(0.8f)
                .setTopP(0.95f).setSeed(20261201L).build());

        long identical = 0;
        for (int i = 0; i < STREAMS; i++) {
            Answer answer = runs.withKill().get(i);
            assertThat(answer.completionTokens()).as("usage of answer %d counts every token streamed", i).isEqualTo(answer.tokens());
            assertThat(answer.text()).as("answer %d", i).isNotEmpty();
            String reference = runs.faultFree().get(i).text();
            if (answer.text().equals(reference)) {
                identical++;
            } else {
                System.out.printf("[resume e2e] seeded answer %d (%s): first different character at %d of %d%n", i,
                        answer.workers().contains(VICTIM) ? "resumed" : "not resumed", firstDifference(answer.text(), reference),
                        reference.length());
            }
        }
        System.out.printf("[resume e2e] seeded: %d of %d answers byte-identical to the fault-free run%n", identical, STREAMS);
    }

    private Runs runWithAndWithoutAKill(SamplingParams sampling) throws Exception {
        return runWithAndWithout(sampling, platform::kill, true);
    }

    /** @param instant the fault ends the victim at once: every stream on it must resume, not only those that outlive a drain */
    private Runs runWithAndWithout(SamplingParams sampling, Fault fault, boolean instant) throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            prompts.add("And it came to pass in the " + (i + 1) + " year, that");
        }
        List<Answer> faultFree = runAll(prompts, sampling, new AtomicIntegerArray(STREAMS));
        assertThat(faultFree).allSatisfy(a -> assertThat(a.error()).as("fault-free run").isNull());
        double resumesBefore = schedulerMetric("scheduler_resumes_total");

        var received = new AtomicIntegerArray(STREAMS);
        List<Answer> withKill;
        try (ExecutorService callers = Executors.newFixedThreadPool(STREAMS)) {
            List<Future<Answer>> futures = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                int index = i;
                futures.add(callers.submit(() -> generate(prompts.get(index), sampling, received, index)));
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!everyStreamHasAtLeast(received, TOKENS_BEFORE_KILL) && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            fault.strike(LocalPlatform.workerService(VICTIM));
            withKill = new ArrayList<>();
            for (Future<Answer> f : futures) {
                withKill.add(f.get(5, TimeUnit.MINUTES));
            }
        }
        double resumes = schedulerMetric("scheduler_resumes_total") - resumesBefore;
        long onVictim = withKill.stream().filter(a -> a.workers().contains(VICTIM)).count();
        System.out.printf("[resume e2e] temperature %.1f: %d streams, %d started on %s, %.0f resumed, failed: %d%n",
                sampling.getTemperature(), STREAMS, onVictim, VICTIM, resumes, withKill.stream().filter(a -> a.error() != null).count());

        assertThat(withKill).as("no request failed").allSatisfy(a -> assertThat(a.error()).isNull());
        assertThat(onVictim).as("streams that started on the victim").isPositive();
        if (instant) {
            assertThat(resumes).as("streams resumed on the survivor").isGreaterThanOrEqualTo(onVictim);
            assertThat(withKill).filteredOn(a -> a.workers().contains(VICTIM))
                    .allSatisfy(a -> assertThat(a.workers()).as("resumed on the survivor").endsWith(SURVIVOR));
        } else {
            assertThat(resumes).as("streams that outlived the drain, resumed on the survivor").isPositive();
        }

        platform.restart(LocalPlatform.workerService(VICTIM));
        platform.awaitReady(LocalPlatform.workerService(VICTIM), Duration.ofMinutes(4));
        long readyDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (schedulerMetric("scheduler_workers_ready") < 2 && System.nanoTime() < readyDeadline) {
            Thread.sleep(200);
        }
        assertThat(schedulerMetric("scheduler_workers_ready")).as("both workers ready again").isEqualTo(2);
        return new Runs(faultFree, withKill, resumes);
    }

    private static int firstDifference(String a, String b) {
        int i = 0;
        while (i < Math.min(a.length(), b.length()) && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return i;
    }

    private static boolean everyStreamHasAtLeast(AtomicIntegerArray received, int tokens) {
        for (int i = 0; i < received.length(); i++) {
            if (received.get(i) < tokens) {
                return false;
            }
        }
        return true;
    }

    private List<Answer> runAll(List<String> prompts, SamplingParams sampling, AtomicIntegerArray received) throws Exception {
        try (ExecutorService callers = Executors.newFixedThreadPool(prompts.size())) {
            List<Future<Answer>> futures = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                int index = i;
                futures.add(callers.submit(() -> generate(prompts.get(index), sampling, received, index)));
            }
            List<Answer> answers = new ArrayList<>();
            for (Future<Answer> f : futures) {
                answers.add(f.get(5, TimeUnit.MINUTES));
            }
            return answers;
        }
    }

    /** One stream; round-robin spreads the 8 over both workers. Counts the tokens it received in {@code received}. */
    private Answer generate(String prompt, SamplingParams sampling, AtomicIntegerArray received, int index) {
        var text = new StringBuilder();
        List<String> workers = new ArrayList<>();
        int tokens = 0;
        int completion = -1;
        try {
            var stream = SchedulerGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.MINUTES)
                    .generate(ScheduleGenerateRequest.newBuilder()
                            .setRequestId("resume-e2e-" + index + "-" + System.nanoTime())
                            .setModel(LocalPlatform.MODEL)
                            .setPrompt(prompt)
                            .setPolicy("round-robin")
                            .setSampling(sampling)
                            .build());
            while (stream.hasNext()) {
                ScheduleGenerateChunk chunk = stream.next();
                if (!chunk.getWorkerId().isEmpty()) {
                    workers.add(chunk.getWorkerId());
                }
                text.append(chunk.getText());
                tokens += chunk.getTokenCount();
                received.addAndGet(index, chunk.getTokenCount());
                if (chunk.hasUsage()) {
                    completion = chunk.getUsage().getCompletionTokens();
                }
            }
            return new Answer(text.toString(), tokens, completion, workers, null);
        } catch (StatusRuntimeException e) {
            return new Answer(text.toString(), tokens, completion, workers, e.getStatus().toString());
        }
    }

    private double schedulerMetric(String name) throws IOException, InterruptedException {
        return platform.metric("scheduler-service", name);
    }
}
