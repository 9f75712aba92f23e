package dev.llmplatform.scheduler.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.llmplatform.proto.v1.Batch;
import dev.llmplatform.proto.v1.BatchStatus;
import dev.llmplatform.proto.v1.BatchStoreGrpc;
import dev.llmplatform.proto.v1.ClaimBatchWorkRequest;
import dev.llmplatform.proto.v1.ClaimBatchWorkResponse;
import dev.llmplatform.proto.v1.FileChunk;
import dev.llmplatform.proto.v1.FinalizeBatchRequest;
import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.ReadFileContentRequest;
import dev.llmplatform.proto.v1.RecordLineResultRequest;
import dev.llmplatform.proto.v1.RecordLineResultResponse;
import dev.llmplatform.proto.v1.RenewBatchLeaseRequest;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import dev.llmplatform.proto.v1.Usage;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The batch runner against a scripted registry and a scripted scheduler API (both gRPC, in process): lines run once
 * at the batch priority, recorded lines are skipped, malformed lines become error entries, a saturated scheduler
 * is waited for, a cancelled batch stops and is finalized, and a batch whose owner is over its batch token budget
 * starts no more lines and is left to a later claim.
 */
class BatchRunnerTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    final ScriptedRegistry registry = new ScriptedRegistry();
    final ScriptedScheduler scheduler = new ScriptedScheduler();
    Server server;
    ManagedChannel channel;
    BatchRunner runner;

    @BeforeEach
    void start() throws Exception {
        String name = "batch-runner-test-" + UUID.randomUUID();
        server = InProcessServerBuilder.forName(name).addService(registry).addService(scheduler).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
        runner = new BatchRunner(BatchStoreGrpc.newBlockingStub(channel), new SchedulerLineExecutor(channel, Duration.ofSeconds(10)),
                properties("energy-first"));
    }

    private static BatchRunnerProperties properties(String plan) {
        return properties(plan, Duration.ofMinutes(1));
    }

    private static BatchRunnerProperties properties(String plan, Duration replanInterval) {
        return new BatchRunnerProperties(true, "runner-1", Duration.ofSeconds(3), Duration.ofMillis(50), 2, -1000,
                Duration.ofMillis(20), Duration.ofSeconds(10), plan, replanInterval, 0.8);
    }

    /** A runner whose planning always answers {@code plan}, and keeps what it was asked. */
    private BatchRunner planned(LinePlan plan, Queue<BatchPlanning.Request> asked, MeterRegistry meters) {
        return new BatchRunner(BatchStoreGrpc.newBlockingStub(channel), new SchedulerLineExecutor(channel, Duration.ofSeconds(10)),
                properties("energy-first"), request -> {
                    asked.add(request);
                    return Optional.of(plan);
                }, new BatchMetrics(meters));
    }

    private static String lines(int n) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < n; i++) {
            lines.append(chat("r" + i)).append('\n');
        }
        return lines.toString();
    }

    @Test
    void linesAreDealtToThePlannedWorkersInTheirSharesAndTheirEnergyIsRecorded() {
        registry.script(lines(8), Set.of());
        var meters = new SimpleMeterRegistry();
        var asked = new ConcurrentLinkedQueue<BatchPlanning.Request>();
        runner = planned(new LinePlan("energy-first", "tiny", 8, Map.of("cpu-0", 0.75, "gpu-0", 0.25), 40, 120, 10, 3600),
                asked, meters);

        runner.runOnce();

        assertThat(scheduler.requests).hasSize(8);
        assertThat(scheduler.requests).filteredOn(r -> r.getPlannedWorkerId().equals("cpu-0")).hasSize(6);
        assertThat(scheduler.requests).filteredOn(r -> r.getPlannedWorkerId().equals("gpu-0")).hasSize(2);
        assertThat(asked).hasSize(1).first().satisfies(request -> {
            assertThat(request.model()).isEqualTo("tiny");
            assertThat(request.lines()).isEqualTo(8);
            assertThat(request.maxTokensPerLine()).isEqualTo(4);
            assertThat(request.outputTokensPerLine()).as("nothing ran yet").isNaN();
            assertThat(request.secondsLeft()).isBetween(3500.0, 3600.0);
        });
        assertThat(registry.recorded.values()).allSatisfy(r -> {
            assertThat(r.getEstimatedJoules()).isEqualTo(1.5);
            assertThat(r.getMeasuredJoules()).isEqualTo(1.25);
        });
        assertThat(meters.get("scheduler.batch.energy").tag("kind", "measured").counter().count()).isEqualTo(8 * 1.25);
        assertThat(meters.get("scheduler.batch.lines").tag("outcome", "completed").counter().count()).isEqualTo(8);
        assertThat(registry.plan.get()).as("the plan is sent with a lease renewal as soon as it is made")
                .startsWith("energy-first: cpu-0 75%, gpu-0 25%; 8 lines of tiny");
        assertThat(registry.finalized.get()).isEqualTo(1);
    }

    @Test
    void laterPlansUseTheMeasuredWallTimeOfTheLinesEachWorkerFinished() {
        registry.script(lines(12), Set.of());
        var asked = new ConcurrentLinkedQueue<BatchPlanning.Request>();
        runner = new BatchRunner(BatchStoreGrpc.newBlockingStub(channel), new SchedulerLineExecutor(channel, Duration.ofSeconds(10)),
                properties("energy-first", Duration.ZERO), request -> {
                    asked.add(request);
                    return Optional.of(new LinePlan("energy-first", "tiny", request.lines(), Map.of("cpu-0", 0.75, "gpu-0", 0.25),
                            1, 1, 1, 3600));
                }, new BatchMetrics(new SimpleMeterRegistry()));

        runner.runOnce();

        assertThat(asked).hasSize(12);
        assertThat(asked.peek().lineSeconds()).as("nothing measured for the first plan").isEmpty();
        assertThat(asked.stream().toList().getLast().lineSeconds()).as("by the last line, cpu-0 finished at least 3")
                .containsKey("cpu-0").allSatisfy((worker, seconds) -> assertThat(seconds).isPositive());
    }

    @Test
    void aWindowThatNoPlanCanMeetFailsTheBatchWithItsReasonBeforeAnyLineRuns() {
        registry.script(lines(8), Set.of());
        runner = planned(new LinePlan("energy-first", "tiny", 8, Map.of("cpu-0", 1.0), 400, 120, 400, 60),
                new ConcurrentLinkedQueue<>(), new SimpleMeterRegistry());

        runner.runOnce();

        assertThat(scheduler.requests).isEmpty();
        assertThat(registry.recorded).isEmpty();
        assertThat(registry.failures).singleElement().satisfies(error -> {
            assertThat(error.getCode()).isEqualTo("completion_window_too_short");
            assertThat(error.getMessage()).contains("8 requests", "at least 400 s", "leaves 60 s");
        });
    }

    @Test
    void aBatchThatAlreadyRanLinesIsNotFailedForItsWindowButRunsAsFastAsItCan() {
        registry.script(lines(8), Set.of(0));
        runner = planned(new LinePlan("energy-first", "tiny", 7, Map.of("cpu-0", 1.0), 400, 120, 400, 60),
                new ConcurrentLinkedQueue<>(), new SimpleMeterRegistry());

        runner.runOnce();

        assertThat(scheduler.requests).hasSize(7);
        assertThat(registry.failures).isEmpty();
    }

    @Test
    void theBatchsMetadataChoosesTheObjectiveOfItsPlan() {
        registry.script(lines(2), Set.of());
        registry.batch.set(registry.batch.get().toBuilder().putMetadata("batch_plan", "latency-first").build());
        var asked = new ConcurrentLinkedQueue<BatchPlanning.Request>();
        runner = planned(new LinePlan("latency-first", "tiny", 2, Map.of("gpu-0", 1.0), 2, 600, 2, 3600), asked,
                new SimpleMeterRegistry());

        runner.runOnce();

        assertThat(asked).extracting(BatchPlanning.Request::objective).containsOnly("latency-first");
        assertThat(scheduler.requests).allSatisfy(r -> assertThat(r.getPlannedWorkerId()).isEqualTo("gpu-0"));
    }

    @AfterEach
    void stop() {
        runner.stop();
        channel.shutdownNow();
        server.shutdownNow();
    }

    private static String chat(String customId) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4,\"temperature\":0}}";
    }

    @Test
    void runsEachLineWithoutAResultOnceAtTheBatchPriorityAndFinalizes() {
        registry.script(String.join("\n", chat("a"), chat("b"), "", "{not json", chat("c")) + "\n", Set.of(1));

        assertThat(runner.runOnce()).isTrue();

        assertThat(registry.recorded.keySet()).containsExactlyInAnyOrder(0, 2, 3);
        assertThat(scheduler.requests).hasSize(2).allSatisfy(r -> assertThat(r.getPriority()).isEqualTo(-1000));
        assertThat(scheduler.requests).extracting(r -> r.getSampling().getMaxTokens()).containsOnly(4);

        RecordLineResultRequest first = registry.recorded.get(0);
        assertThat(first.getOk()).isTrue();
        assertThat(first.getCustomId()).isEqualTo("a");
        assertThat(first.getInputTokens()).isEqualTo(4);
        assertThat(first.getOutputTokens()).isEqualTo(2);
        JsonNode line = JSON.readTree(first.getLine());
        assertThat(line.get("id").stringValue()).startsWith("batch_req_");
        assertThat(line.get("custom_id").stringValue()).isEqualTo("a");
        assertThat(line.get("error").isNull()).isTrue();
        assertThat(line.get("response").get("status_code").intValue()).isEqualTo(200);
        JsonNode body = line.get("response").get("body");
        assertThat(body.get("object").stringValue()).isEqualTo("chat.completion");
        assertThat(body.get("choices").get(0).get("message").get("content").stringValue()).isEqualTo("Hello there");
        assertThat(body.get("choices").get(0).get("finish_reason").stringValue()).isEqualTo("length");
        assertThat(body.get("usage").get("total_tokens").intValue()).isEqualTo(6);

        RecordLineResultRequest malformed = registry.recorded.get(2);
        assertThat(malformed.getOk()).isFalse();
        assertThat(malformed.getInputTokens()).isZero();
        JsonNode error = JSON.readTree(malformed.getLine());
        assertThat(error.get("response").isNull()).isTrue();
        assertThat(error.get("error").get("code").stringValue()).isEqualTo("invalid_json");
        assertThat(registry.recorded.get(3).getCustomId()).isEqualTo("c");

        assertThat(registry.finalized.get()).isEqualTo(1);
        assertThat(runner.runOnce()).as("nothing left to claim").isFalse();
    }

    @Test
    void aSaturatedSchedulerIsWaitedForNotRecordedAsAFailure() {
        registry.script(chat("a") + "\n", Set.of());
        scheduler.refuseFirst.set(2);

        runner.runOnce();

        assertThat(registry.recorded).containsOnlyKeys(0);
        assertThat(registry.recorded.get(0).getOk()).isTrue();
        assertThat(scheduler.calls.get()).isEqualTo(3);
    }

    @Test
    void anUnknownModelIsTheLinesErrorEntry() {
        registry.script(chat("a").replace("\"tiny\"", "\"missing\"") + "\n", Set.of());

        runner.runOnce();

        JsonNode line = JSON.readTree(registry.recorded.get(0).getLine());
        assertThat(registry.recorded.get(0).getOk()).isFalse();
        assertThat(line.get("response").get("status_code").intValue()).isEqualTo(404);
        assertThat(line.get("response").get("body").get("error").get("code").stringValue()).isEqualTo("model_not_found");
    }

    @Test
    void aLineThatKeepsFailingBecomesAServerErrorEntry() {
        registry.script(chat("a").replace("\"tiny\"", "\"broken\"") + "\n", Set.of());

        runner.runOnce();

        assertThat(scheduler.calls.get()).isEqualTo(3);
        JsonNode line = JSON.readTree(registry.recorded.get(0).getLine());
        assertThat(line.get("response").get("status_code").intValue()).isEqualTo(500);
        assertThat(registry.finalized.get()).isEqualTo(1);
    }

    @Test
    void aCancelledBatchStopsRunningLinesAndIsFinalized() {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            lines.append(chat("r" + i)).append('\n');
        }
        registry.script(lines.toString(), Set.of());
        registry.cancelAfter.set(2);

        runner.runOnce();

        assertThat(registry.recorded.size()).isBetween(2, 5);
        assertThat(registry.finalized.get()).isEqualTo(1);
    }

    @Test
    void anOwnerOverItsBatchTokenBudgetGetsNoNewLinesAndItsBatchIsLeftForALaterClaim() {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            lines.append(chat("r" + i)).append('\n');
        }
        registry.script(lines.toString(), Set.of());
        registry.overBudgetAfter.set(2);

        assertThat(runner.runOnce()).isTrue();

        // at most the lines in flight when the budget ran out (concurrency 2) finish after it, and each is recorded
        assertThat(registry.recorded.size()).isBetween(2, 4);
        assertThat(scheduler.requests).as("every line started is recorded").hasSize(registry.recorded.size());
        assertThat(registry.recordCalls.get()).as("each once").isEqualTo(registry.recorded.size());
        assertThat(registry.finalized.get()).as("not finalized: the batch waits for the budget").isZero();

        // the window frees tokens: the registry hands the batch out again with its done lines, and the rest runs
        registry.overBudgetAfter.set(Integer.MAX_VALUE);
        registry.script(lines.toString(), Set.copyOf(registry.recorded.keySet()));
        assertThat(runner.runOnce()).isTrue();

        assertThat(registry.recorded).hasSize(20);
        assertThat(scheduler.requests).as("no line run twice").hasSize(20);
        assertThat(registry.recordCalls.get()).isEqualTo(20);
        assertThat(registry.finalized.get()).isEqualTo(1);
    }

    @Test
    void aCancelledBatchIsFinalizedEvenWhenItsOwnerIsOverBudget() {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            lines.append(chat("r" + i)).append('\n');
        }
        registry.script(lines.toString(), Set.of());
        registry.overBudgetAfter.set(2);
        registry.cancelAfter.set(2);

        runner.runOnce();

        assertThat(registry.recorded.size()).isBetween(2, 4);
        assertThat(registry.finalized.get()).as("cancelled now, not left to wait for the budget").isEqualTo(1);
    }

    /** One batch to hand out, its file, and what the runner recorded. */
    static final class ScriptedRegistry extends BatchStoreGrpc.BatchStoreImplBase {
        final Map<Integer, RecordLineResultRequest> recorded = new ConcurrentHashMap<>();
        final AtomicInteger finalized = new AtomicInteger();
        final Queue<dev.llmplatform.proto.v1.BatchError> failures = new ConcurrentLinkedQueue<>();
        final AtomicInteger cancelAfter = new AtomicInteger(Integer.MAX_VALUE);
        final AtomicInteger overBudgetAfter = new AtomicInteger(Integer.MAX_VALUE);
        final AtomicInteger recordCalls = new AtomicInteger();
        final AtomicReference<Batch> batch = new AtomicReference<>();
        final AtomicReference<String> plan = new AtomicReference<>("");
        volatile String content;
        volatile Set<Integer> done;

        void script(String content, Set<Integer> done) {
            this.content = content;
            this.done = done;
            batch.set(Batch.newBuilder().setId("batch_1").setOwner("dev").setEndpoint("/v1/chat/completions")
                    .setInputFileId("file-1").setStatus(BatchStatus.BATCH_STATUS_IN_PROGRESS)
                    .setTotal((int) content.lines().filter(l -> !l.isBlank()).count())
                    .setExpiresAt(Instant.now().getEpochSecond() + 3600).build());
        }

        @Override
        public void claimBatchWork(ClaimBatchWorkRequest request, StreamObserver<ClaimBatchWorkResponse> responses) {
            Batch b = batch.getAndSet(null);
            var response = ClaimBatchWorkResponse.newBuilder();
            if (b != null) {
                response.setBatch(b).addAllDoneLines(done);
            }
            responses.onNext(response.build());
            responses.onCompleted();
        }

        @Override
        public void renewBatchLease(RenewBatchLeaseRequest request, StreamObserver<Batch> responses) {
            if (!request.getPlan().isEmpty()) {
                plan.set(request.getPlan());
            }
            responses.onNext(Batch.newBuilder().setId(request.getBatchId()).setStatus(status()).build());
            responses.onCompleted();
        }

        @Override
        public void readFileContent(ReadFileContentRequest request, StreamObserver<FileChunk> responses) {
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            for (int offset = 0; offset < bytes.length; offset += 16) {
                responses.onNext(FileChunk.newBuilder().setData(ByteString.copyFrom(bytes, offset, Math.min(16, bytes.length - offset))).build());
            }
            responses.onCompleted();
        }

        @Override
        public void recordLineResult(RecordLineResultRequest request, StreamObserver<RecordLineResultResponse> responses) {
            recordCalls.incrementAndGet();
            boolean fresh = recorded.putIfAbsent(request.getLineIndex(), request) == null;
            boolean overBudget = recorded.size() >= overBudgetAfter.get();
            responses.onNext(RecordLineResultResponse.newBuilder().setRecorded(fresh).setStatus(status())
                    .setOwnerOverBudget(overBudget).setOwnerTokensLastDay(overBudget ? 6L * recorded.size() : 0).build());
            responses.onCompleted();
        }

        @Override
        public void finalizeBatch(FinalizeBatchRequest request, StreamObserver<Batch> responses) {
            finalized.incrementAndGet();
            failures.addAll(request.getFailureList());
            responses.onNext(Batch.newBuilder().setId(request.getBatchId()).setStatus(BatchStatus.BATCH_STATUS_COMPLETED).build());
            responses.onCompleted();
        }

        private BatchStatus status() {
            return recorded.size() >= cancelAfter.get() ? BatchStatus.BATCH_STATUS_CANCELLING : BatchStatus.BATCH_STATUS_IN_PROGRESS;
        }
    }

    /** "tiny" answers "Hello there" (length); "missing" is unknown; refuseFirst calls are RESOURCE_EXHAUSTED. */
    static final class ScriptedScheduler extends SchedulerGrpc.SchedulerImplBase {
        final Queue<ScheduleGenerateRequest> requests = new ConcurrentLinkedQueue<>();
        final AtomicInteger refuseFirst = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public void generate(ScheduleGenerateRequest request, StreamObserver<ScheduleGenerateChunk> responses) {
            calls.incrementAndGet();
            if (refuseFirst.getAndDecrement() > 0) {
                responses.onError(Status.RESOURCE_EXHAUSTED.withDescription("saturated").asRuntimeException());
                return;
            }
            if (request.getModel().equals("broken")) {
                responses.onError(Status.INTERNAL.withDescription("worker crashed").asRuntimeException());
                return;
            }
            if (request.getModel().equals("missing")) {
                responses.onError(Status.NOT_FOUND.withDescription("The model 'missing' does not exist").asRuntimeException());
                return;
            }
            requests.add(request);
            responses.onNext(ScheduleGenerateChunk.newBuilder().setText("Hello").setTokenCount(1)
                    .setWorkerId(request.getPlannedWorkerId().isEmpty() ? "cpu-0" : request.getPlannedWorkerId()).build());
            responses.onNext(ScheduleGenerateChunk.newBuilder().setText(" there").setTokenCount(1)
                    .setFinishReason(FinishReason.FINISH_REASON_LENGTH)
                    .setUsage(Usage.newBuilder().setPromptTokens(4).setCompletionTokens(2).setTotalTokens(6))
                    .setEstimatedJoules(1.5).setMeasuredJoules(1.25).build());
            responses.onCompleted();
        }
    }

}
