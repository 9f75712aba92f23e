package dev.llmplatform.registry.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.llmplatform.proto.v1.Batch;
import dev.llmplatform.proto.v1.BatchFile;
import dev.llmplatform.proto.v1.BatchStatus;
import dev.llmplatform.proto.v1.BatchStoreGrpc;
import dev.llmplatform.proto.v1.CancelBatchRequest;
import dev.llmplatform.proto.v1.ClaimBatchWorkRequest;
import dev.llmplatform.proto.v1.ClaimBatchWorkResponse;
import dev.llmplatform.proto.v1.CreateBatchRequest;
import dev.llmplatform.proto.v1.DeleteFileRequest;
import dev.llmplatform.proto.v1.FinalizeBatchRequest;
import dev.llmplatform.proto.v1.GetBatchRequest;
import dev.llmplatform.proto.v1.GetBatchTokenUsageRequest;
import dev.llmplatform.proto.v1.GetFileRequest;
import dev.llmplatform.proto.v1.ListBatchesRequest;
import dev.llmplatform.proto.v1.ListBatchesResponse;
import dev.llmplatform.proto.v1.ListFilesRequest;
import dev.llmplatform.proto.v1.ReadFileContentRequest;
import dev.llmplatform.proto.v1.RecordLineResultRequest;
import dev.llmplatform.proto.v1.RenewBatchLeaseRequest;
import dev.llmplatform.proto.v1.RecordLineResultResponse;
import dev.llmplatform.proto.v1.UploadFileHeader;
import dev.llmplatform.proto.v1.UploadFileRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.grpc.test.autoconfigure.LocalGrpcServerPort;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Files and batches through the registry's BatchStore service over a real loopback socket, stored in a real
 * database (H2 in {@link BatchStoreGrpcTest}, PostgreSQL in BatchStoreOnPostgresTest) and a local artifact directory:
 * uploads streamed and checked, owners kept apart, and a batch's life from creation through a runner's claim, line
 * results (each recorded once) and finalization.
 */
@SpringBootTest(properties = {"spring.grpc.server.port=0", "server.port=0", "management.server.port=0",
        "registry.seed.enabled=false", "registry.batch.max-file-size=64KB", "registry.batch.max-line-size=2KB",
        "registry.batch.max-lines=100"})
public abstract class BatchStoreContract {

    private static final Path STORE = temporaryDirectory();

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        registry.add("registry.artifacts.local-dir", STORE::toString);
    }

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("batch-store");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @LocalGrpcServerPort
    int grpcPort;

    @Autowired
    JdbcClient jdbc;

    ManagedChannel channel;
    BatchStoreGrpc.BatchStoreBlockingStub store;
    String owner;

    @BeforeEach
    public void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        store = BatchStoreGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        owner = "key-" + UUID.randomUUID();
    }

    @AfterEach
    public void disconnect() {
        channel.shutdownNow();
    }

    private static String requests(int n) {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < n; i++) {
            jsonl.append("{\"custom_id\":\"r").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",")
                    .append("\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi ").append(i).append("\"}]}}\n");
        }
        return jsonl.toString();
    }

    /** Uploads in chunks of {@code chunkSize} bytes through the client stream. */
    private BatchFile upload(String owner, String purpose, byte[] content, int chunkSize) throws Exception {
        var result = new CompletableFuture<BatchFile>();
        StreamObserver<UploadFileRequest> requests = BatchStoreGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .uploadFile(new StreamObserver<>() {
                    @Override
                    public void onNext(BatchFile file) {
                        result.complete(file);
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext(UploadFileRequest.newBuilder().setHeader(UploadFileHeader.newBuilder().setOwner(owner)
                .setFilename("requests.jsonl").setPurpose(purpose)).build());
        for (int offset = 0; offset < content.length && !result.isDone(); offset += chunkSize) {
            requests.onNext(UploadFileRequest.newBuilder()
                    .setChunk(ByteString.copyFrom(content, offset, Math.min(chunkSize, content.length - offset))).build());
        }
        requests.onCompleted();
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private BatchFile upload(String jsonl) throws Exception {
        return upload(owner, "batch", jsonl.getBytes(StandardCharsets.UTF_8), 100);
    }

    private String read(String owner, String fileId) {
        var out = new ByteArrayOutputStream();
        store.readFileContent(ReadFileContentRequest.newBuilder().setOwner(owner).setFileId(fileId).build())
                .forEachRemaining(chunk -> out.writeBytes(chunk.getData().toByteArray()));
        return out.toString(StandardCharsets.UTF_8);
    }

    private Batch create(String fileId, String window) {
        return store.createBatch(CreateBatchRequest.newBuilder().setOwner(owner).setInputFileId(fileId)
                .setEndpoint("/v1/chat/completions").setCompletionWindow(window).putMetadata("job", "nightly").build());
    }

    private ClaimBatchWorkResponse claim(String runner, int leaseSeconds) {
        return store.claimBatchWork(ClaimBatchWorkRequest.newBuilder().setRunnerId(runner).setLeaseSeconds(leaseSeconds).build());
    }

    private RecordLineResultResponse record(String runner, String batchId, int line, boolean ok) {
        return store.recordLineResult(RecordLineResultRequest.newBuilder().setRunnerId(runner).setBatchId(batchId)
                .setLineIndex(line).setCustomId("r" + line).setOk(ok)
                .setLine("{\"custom_id\":\"r" + line + "\",\"ok\":" + ok + "}")
                .setInputTokens(ok ? 10 : 0).setOutputTokens(ok ? 3 : 0)
                .setEstimatedJoules(ok ? 1.5 : 0).setMeasuredJoules(ok ? 2.25 : 0).build());
    }

    /** Claims until this test's batch comes up (other tests' batches may be older), finishing the others. */
    private ClaimBatchWorkResponse claimBatch(String runner, String batchId, int leaseSeconds) {
        for (int attempt = 0; attempt < 50; attempt++) {
            ClaimBatchWorkResponse claim = claim(runner, leaseSeconds);
            assertThat(claim.hasBatch()).as("a claim for " + batchId).isTrue();
            if (claim.getBatch().getId().equals(batchId)) {
                return claim;
            }
            store.finalizeBatch(FinalizeBatchRequest.newBuilder().setRunnerId(runner).setBatchId(claim.getBatch().getId())
                    .addFailure(dev.llmplatform.proto.v1.BatchError.newBuilder().setCode("test").setMessage("not this test's")).build());
        }
        throw new AssertionError("batch " + batchId + " was never claimed");
    }

    @Test
    public void uploadedFileIsStoredAndReadBackAndOnlyItsOwnerSeesIt() throws Exception {
        String jsonl = requests(20);
        BatchFile file = upload(jsonl);

        assertThat(file.getId()).startsWith("file-");
        assertThat(file.getBytes()).isEqualTo(jsonl.getBytes(StandardCharsets.UTF_8).length);
        assertThat(file.getLineCount()).isEqualTo(20);
        assertThat(file.getPurpose()).isEqualTo("batch");
        assertThat(store.getFile(GetFileRequest.newBuilder().setOwner(owner).setFileId(file.getId()).build())).isEqualTo(file);
        assertThat(store.listFiles(ListFilesRequest.newBuilder().setOwner(owner).build()).getFilesList()).containsExactly(file);
        assertThat(read(owner, file.getId())).isEqualTo(jsonl);

        assertThatThrownBy(() -> store.getFile(GetFileRequest.newBuilder().setOwner("someone-else").setFileId(file.getId()).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThatThrownBy(() -> read("someone-else", file.getId()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));

        assertThat(store.deleteFile(DeleteFileRequest.newBuilder().setOwner(owner).setFileId(file.getId()).build()).getDeleted()).isTrue();
        assertThat(store.listFiles(ListFilesRequest.newBuilder().setOwner(owner).build()).getFilesList()).isEmpty();
    }

    @Test
    public void refusedUploadsLeaveNothingBehind() throws Exception {
        byte[] tooLarge = requests(100).repeat(2).getBytes(StandardCharsets.UTF_8);
        byte[] longLine = ("{\"custom_id\":\"x\",\"pad\":\"" + "a".repeat(3000) + "\"}\n").getBytes(StandardCharsets.UTF_8);
        byte[] notText = {'{', (byte) 0xff, (byte) 0xfe, '}', '\n'};

        assertThatThrownBy(() -> upload(owner, "batch", tooLarge, 8192)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        assertThatThrownBy(() -> upload(owner, "batch", longLine, 512)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        assertThatThrownBy(() -> upload(owner, "batch", notText, 512)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThatThrownBy(() -> upload(owner, "fine-tune", requests(1).getBytes(StandardCharsets.UTF_8), 512))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("purpose");
                });
        assertThatThrownBy(() -> upload("\n\n   \n")).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));

        assertThat(store.listFiles(ListFilesRequest.newBuilder().setOwner(owner).build()).getFilesList()).isEmpty();
        try (Stream<Path> files = Files.walk(STORE)) {
            assertThat(files.filter(Files::isRegularFile).filter(p -> p.toString().contains(owner))).isEmpty();
        }
        try (Stream<Path> partial = Files.list(STORE.resolve(".incoming"))) {
            assertThat(partial).isEmpty();
        }
    }

    @Test
    public void batchRunsFromClaimThroughLineResultsToItsOutputAndErrorFiles() throws Exception {
        BatchFile input = upload(requests(3));
        Batch created = create(input.getId(), "24h");
        assertThat(created.getId()).startsWith("batch_");
        assertThat(created.getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_VALIDATING);
        assertThat(created.getTotal()).isEqualTo(3);
        assertThat(created.getExpiresAt() - created.getCreatedAt()).isEqualTo(24 * 3600);
        assertThat(created.getMetadataMap()).containsEntry("job", "nightly");

        ClaimBatchWorkResponse claim = claimBatch("runner-a", created.getId(), 60);
        assertThat(claim.getBatch().getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_IN_PROGRESS);
        assertThat(claim.getBatch().getInProgressAt()).isPositive();
        assertThat(claim.getDoneLinesList()).isEmpty();

        assertThat(record("runner-a", created.getId(), 0, true).getRecorded()).isTrue();
        assertThat(record("runner-a", created.getId(), 2, true).getRecorded()).isTrue();
        assertThatThrownBy(() -> store.finalizeBatch(FinalizeBatchRequest.newBuilder().setRunnerId("runner-a")
                .setBatchId(created.getId()).build())).as("a line still without a result").isInstanceOfSatisfying(
                StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
        assertThat(record("runner-a", created.getId(), 1, false).getRecorded()).isTrue();
        assertThat(record("runner-a", created.getId(), 0, false).getRecorded()).as("a line's first result stays").isFalse();

        Batch running = store.getBatch(GetBatchRequest.newBuilder().setOwner(owner).setBatchId(created.getId()).build());
        assertThat(running.getCompleted()).isEqualTo(2);
        assertThat(running.getFailed()).isEqualTo(1);
        assertThat(running.getInputTokens()).as("the first result of line 0 counts, not the refused second").isEqualTo(20);
        assertThat(running.getOutputTokens()).isEqualTo(6);
        assertThat(running.getEstimatedJoules()).as("energy is summed like tokens, each line's first result once").isEqualTo(3.0);
        assertThat(running.getMeasuredJoules()).isEqualTo(4.5);

        Batch planned = store.renewBatchLease(RenewBatchLeaseRequest.newBuilder().setRunnerId("runner-a").setBatchId(created.getId())
                .setLeaseSeconds(60).setPlan("energy-first: cpu-0 100%").build());
        assertThat(planned.getPlan()).isEqualTo("energy-first: cpu-0 100%");
        assertThat(store.renewBatchLease(RenewBatchLeaseRequest.newBuilder().setRunnerId("runner-a").setBatchId(created.getId())
                .setLeaseSeconds(60).build()).getPlan()).as("a renewal without a plan keeps the last one").isEqualTo("energy-first: cpu-0 100%");
        assertThatThrownBy(() -> store.recordLineResult(RecordLineResultRequest.newBuilder().setRunnerId("runner-a")
                .setBatchId(created.getId()).setLineIndex(1).setCustomId("r1").setOk(true).setLine("{}").setMeasuredJoules(-1).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));

        Batch done = store.finalizeBatch(FinalizeBatchRequest.newBuilder().setRunnerId("runner-a").setBatchId(created.getId()).build());
        assertThat(done.getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_COMPLETED);
        assertThat(done.getFinalizingAt()).isPositive();
        assertThat(done.getCompletedAt()).isPositive();
        assertThat(read(owner, done.getOutputFileId()))
                .isEqualTo("{\"custom_id\":\"r0\",\"ok\":true}\n{\"custom_id\":\"r2\",\"ok\":true}\n");
        assertThat(read(owner, done.getErrorFileId())).isEqualTo("{\"custom_id\":\"r1\",\"ok\":false}\n");
        assertThat(store.getFile(GetFileRequest.newBuilder().setOwner(owner).setFileId(done.getOutputFileId()).build()).getPurpose())
                .isEqualTo("batch_output");

        assertThatThrownBy(() -> record("runner-a", created.getId(), 1, true)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    }

    @Test
    public void batchOfADeadRunnerIsClaimedAgainAfterItsLeaseWithItsDoneLines() throws Exception {
        Batch created = create(upload(requests(3)).getId(), "1h");
        claimBatch("runner-a", created.getId(), 1);
        record("runner-a", created.getId(), 1, true);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        ClaimBatchWorkResponse again = null;
        while (System.nanoTime() < deadline) {
            ClaimBatchWorkResponse claim = claim("runner-b", 60);
            if (claim.hasBatch() && claim.getBatch().getId().equals(created.getId())) {
                again = claim;
                break;
            }
            if (claim.hasBatch()) {
                store.finalizeBatch(FinalizeBatchRequest.newBuilder().setRunnerId("runner-b").setBatchId(claim.getBatch().getId())
                        .addFailure(dev.llmplatform.proto.v1.BatchError.newBuilder().setCode("test").setMessage("not this test's")).build());
                continue;
            }
            Thread.sleep(200);
        }
        assertThat(again).as("claimed again once runner-a's lease expired").isNotNull();
        assertThat(again.getDoneLinesList()).containsExactly(1);
        assertThat(again.getBatch().getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_IN_PROGRESS);
        assertThatThrownBy(() -> store.finalizeBatch(FinalizeBatchRequest.newBuilder().setRunnerId("runner-a")
                .setBatchId(created.getId()).build())).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    }

    @Test
    public void cancellingEndsAnUnclaimedBatchAtOnceAndAClaimedOneThroughItsRunner() throws Exception {
        BatchFile input = upload(requests(2));
        Batch waiting = create(input.getId(), "24h");
        Batch cancelled = store.cancelBatch(CancelBatchRequest.newBuilder().setOwner(owner).setBatchId(waiting.getId()).build());
        assertThat(cancelled.getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_CANCELLED);
        assertThat(cancelled.getCancelledAt()).isPositive();
        assertThatThrownBy(() -> store.cancelBatch(CancelBatchRequest.newBuilder().setOwner(owner).setBatchId(waiting.getId()).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));

        Batch running = create(input.getId(), "24h");
        claimBatch("runner-c", running.getId(), 60);
        record("runner-c", running.getId(), 0, true);
        Batch cancelling = store.cancelBatch(CancelBatchRequest.newBuilder().setOwner(owner).setBatchId(running.getId()).build());
        assertThat(cancelling.getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_CANCELLING);
        assertThat(record("runner-c", running.getId(), 1, true).getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_CANCELLING);

        Batch ended = store.finalizeBatch(FinalizeBatchRequest.newBuilder().setRunnerId("runner-c").setBatchId(running.getId()).build());
        assertThat(ended.getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_CANCELLED);
        assertThat(ended.getCompleted()).isEqualTo(2);
        assertThat(read(owner, ended.getOutputFileId()).lines()).hasSize(2);
    }

    @Test
    public void batchesAreListedNewestFirstPageByPage() throws Exception {
        BatchFile input = upload(requests(1));
        Batch first = create(input.getId(), "24h");
        Batch second = create(input.getId(), "24h");
        Batch third = create(input.getId(), "24h");

        ListBatchesResponse page = store.listBatches(ListBatchesRequest.newBuilder().setOwner(owner).setLimit(2).build());
        assertThat(page.getBatchesList()).extracting(Batch::getId).containsExactlyInAnyOrder(third.getId(), second.getId());
        assertThat(page.getHasMore()).isTrue();
        ListBatchesResponse next = store.listBatches(ListBatchesRequest.newBuilder().setOwner(owner).setLimit(2)
                .setAfter(page.getBatches(1).getId()).build());
        assertThat(next.getBatchesList()).extracting(Batch::getId).containsExactly(first.getId());
        assertThat(next.getHasMore()).isFalse();
        assertThat(store.listBatches(ListBatchesRequest.newBuilder().setOwner("someone-else").build()).getBatchesList()).isEmpty();
    }

    @Test
    public void badBatchRequestsAreRefusedWithTheirReason() throws Exception {
        BatchFile input = upload(requests(1));
        assertThatThrownBy(() -> create(input.getId(), "soon")).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("completion_window");
        });
        assertThatThrownBy(() -> create(input.getId(), "30d")).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getDescription()).contains("at most 7d"));
        assertThatThrownBy(() -> store.createBatch(CreateBatchRequest.newBuilder().setOwner(owner).setInputFileId(input.getId())
                .setEndpoint("/v1/images").setCompletionWindow("24h").build())).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getDescription()).contains("endpoint"));
        assertThatThrownBy(() -> store.createBatch(CreateBatchRequest.newBuilder().setOwner("someone-else").setInputFileId(input.getId())
                .setEndpoint("/v1/chat/completions").setCompletionWindow("24h").build())).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    // Quotas: a per-owner budget of batch tokens over a rolling 24 h window

    private Batch create(String fileId, long tokenBudgetPerDay) {
        return store.createBatch(CreateBatchRequest.newBuilder().setOwner(owner).setInputFileId(fileId)
                .setEndpoint("/v1/chat/completions").setCompletionWindow("24h").setTokenBudgetPerDay(tokenBudgetPerDay).build());
    }

    private long tokensLastDay(String owner) {
        return store.getBatchTokenUsage(GetBatchTokenUsageRequest.newBuilder().setOwner(owner).build()).getTokens();
    }

    /** Claims everything there is for {@code runner}, failing the batches handed out; @return their ids. */
    private java.util.List<String> drain(String runner) {
        var handedOut = new java.util.ArrayList<String>();
        for (int attempt = 0; attempt < 200; attempt++) {
            ClaimBatchWorkResponse claim = claim(runner, 60);
            if (!claim.hasBatch()) {
                return handedOut;
            }
            handedOut.add(claim.getBatch().getId());
            if (claim.getBatch().getOwner().equals(owner)) {
                return handedOut; // this test's batch: the caller goes on with it
            }
            store.finalizeBatch(FinalizeBatchRequest.newBuilder().setRunnerId(runner).setBatchId(claim.getBatch().getId())
                    .addFailure(dev.llmplatform.proto.v1.BatchError.newBuilder().setCode("test").setMessage("not this test's")).build());
        }
        throw new AssertionError("the claims never ran out");
    }

    @Test
    public void ownersBatchTokensOfTheLast24HoursAreSummedOverItsBatchesAndReportedWithEachLine() throws Exception {
        BatchFile input = upload(requests(3));
        Batch budgeted = create(input.getId(), 30);
        assertThat(budgeted.getTokenBudgetPerDay()).isEqualTo(30);
        Batch unlimited = create(input.getId(), 0);
        assertThat(tokensLastDay(owner)).isZero();

        claimBatch("runner-q", budgeted.getId(), 60);
        RecordLineResultResponse first = record("runner-q", budgeted.getId(), 0, true);
        assertThat(first.getOwnerOverBudget()).isFalse();
        assertThat(first.getOwnerTokensLastDay()).as("10 prompt + 3 generated").isEqualTo(13);
        assertThat(record("runner-q", budgeted.getId(), 1, false).getOwnerTokensLastDay()).as("a failed line has no tokens").isEqualTo(13);

        claimBatch("runner-r", unlimited.getId(), 60);
        RecordLineResultResponse other = record("runner-r", unlimited.getId(), 0, true);
        assertThat(other.getOwnerOverBudget()).as("a batch without a budget is never over it").isFalse();
        assertThat(other.getOwnerTokensLastDay()).as("not counted without a budget").isZero();
        assertThat(tokensLastDay(owner)).as("both batches of the owner count").isEqualTo(26);

        RecordLineResultResponse third = record("runner-q", budgeted.getId(), 2, true);
        assertThat(third.getOwnerOverBudget()).as("39 of 30").isTrue();
        assertThat(third.getOwnerTokensLastDay()).isEqualTo(39);
        assertThat(record("runner-q", budgeted.getId(), 2, true).getOwnerTokensLastDay()).as("a line recorded twice counts once")
                .isEqualTo(39);
        assertThat(tokensLastDay("someone-else")).isZero();

        // results older than the window no longer count
        jdbc.sql("UPDATE batch_line_results SET recorded_at = :old WHERE batch_id = :id AND line_index = 0")
                .param("old", java.sql.Timestamp.from(java.time.Instant.now().minus(java.time.Duration.ofHours(25))))
                .param("id", budgeted.getId()).update();
        assertThat(tokensLastDay(owner)).isEqualTo(26);
        var usage = store.getBatchTokenUsage(GetBatchTokenUsageRequest.newBuilder().setOwner(owner).build());
        assertThat(usage.getWindowSeconds()).isEqualTo(24 * 3600);
        assertThat(usage.getSince()).isCloseTo(java.time.Instant.now().getEpochSecond() - 24 * 3600, org.assertj.core.data.Offset.offset(5L));
    }

    @Test
    public void batchesOfAnOwnerOverItsBudgetAreNotClaimedUntilTheWindowFreesTokens() throws Exception {
        BatchFile input = upload(requests(3));
        Batch running = create(input.getId(), 20);
        claimBatch("runner-s", running.getId(), 60);
        record("runner-s", running.getId(), 0, true);
        assertThat(record("runner-s", running.getId(), 1, true).getOwnerOverBudget()).as("26 of 20").isTrue();
        Batch waiting = create(input.getId(), 20);
        Batch cancelled = create(input.getId(), 20);
        store.cancelBatch(CancelBatchRequest.newBuilder().setOwner(owner).setBatchId(cancelled.getId()).build());

        // neither the batch the runner stopped (still leased to it) nor the new one is handed out, to any runner
        assertThat(drain("runner-s")).doesNotContain(running.getId(), waiting.getId());
        assertThat(drain("runner-t")).doesNotContain(running.getId(), waiting.getId());
        assertThat(store.getBatch(GetBatchRequest.newBuilder().setOwner(owner).setBatchId(waiting.getId()).build()).getStatus())
                .isEqualTo(BatchStatus.BATCH_STATUS_VALIDATING);

        // a batch with every line recorded is still finalized: only starting lines waits for the budget
        Batch full = create(upload(requests(1)).getId(), 20);
        jdbc.sql("""
                INSERT INTO batch_line_results (batch_id, line_index, custom_id, ok, line, input_tokens, output_tokens, recorded_at)
                VALUES (:id, 0, 'r0', TRUE, '{}', 0, 0, :now)""").param("id", full.getId())
                .param("now", java.sql.Timestamp.from(java.time.Instant.now())).update();
        assertThat(drain("runner-t")).contains(full.getId());
        assertThat(store.finalizeBatch(FinalizeBatchRequest.newBuilder().setRunnerId("runner-t").setBatchId(full.getId()).build())
                .getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_COMPLETED);

        // the window moves on: the tokens recorded 25 h ago are out of it, and the owner's batches are handed out again
        // (the stopped one to the runner whose lease it still has)
        jdbc.sql("UPDATE batch_line_results SET recorded_at = :old WHERE batch_id = :id")
                .param("old", java.sql.Timestamp.from(java.time.Instant.now().minus(java.time.Duration.ofHours(25))))
                .param("id", running.getId()).update();
        ClaimBatchWorkResponse resumed = claimBatch("runner-s", running.getId(), 60);
        assertThat(resumed.getDoneLinesList()).containsExactly(0, 1);
        assertThat(claimBatch("runner-s", waiting.getId(), 60).getBatch().getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_IN_PROGRESS);
    }

    @Test
    public void batchOfAnOwnerOverItsBudgetIsStillHandedOutPastItsWindowToBeExpired() throws Exception {
        BatchFile input = upload(requests(2));
        Batch spender = create(input.getId(), 10);
        claimBatch("runner-u", spender.getId(), 60);
        assertThat(record("runner-u", spender.getId(), 0, true).getOwnerOverBudget()).isTrue();
        Batch late = create(input.getId(), 10);
        assertThat(drain("runner-v")).doesNotContain(late.getId(), spender.getId());

        jdbc.sql("UPDATE batches SET expires_at = :past WHERE id = :id")
                .param("past", java.sql.Timestamp.from(java.time.Instant.now().minusSeconds(1))).param("id", late.getId()).update();
        assertThat(drain("runner-v")).contains(late.getId());
        Batch expired = store.finalizeBatch(FinalizeBatchRequest.newBuilder().setRunnerId("runner-v").setBatchId(late.getId()).build());
        assertThat(expired.getStatus()).isEqualTo(BatchStatus.BATCH_STATUS_EXPIRED);
    }
}
