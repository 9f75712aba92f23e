package dev.llmplatform.scheduler.batch;

import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.ScheduleEmbedResponse;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import dev.llmplatform.proto.v1.Usage;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * Runs a line through the scheduler's own gRPC API (in process): the same validation, tokenization, admission
 * (at the batch priority, set on the request) and relay as an interactive request, so a batch line is one more
 * request in the admission queue, behind every interactive one.
 */
final class SchedulerLineExecutor implements LineExecutor {

    private final SchedulerGrpc.SchedulerBlockingStub scheduler;
    private final Duration timeout;

    SchedulerLineExecutor(Channel inProcess, Duration timeout) {
        this.scheduler = SchedulerGrpc.newBlockingStub(inProcess);
        this.timeout = timeout;
    }

    @Override
    public LineResult run(BatchLine line) {
        var stub = scheduler.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            return switch (line) {
                case BatchLine.Malformed malformed -> LineResult.error(BatchOutput.malformed(malformed));
                case BatchLine.Chat chat -> generate(line, stub.generate(chat.request()), chat.request().getRequestId());
                case BatchLine.Completion completion -> generate(line, stub.generate(completion.request()), completion.request().getRequestId());
                case BatchLine.Embeddings embeddings -> {
                    ScheduleEmbedResponse response = stub.embed(embeddings.request());
                    yield new LineResult(true, BatchOutput.embeddings(embeddings, embeddings.request().getRequestId(), response),
                            response.getPromptTokens(), 0, response.getEstimatedJoules(), response.getMeasuredJoules(), "", 0);
                }
            };
        } catch (StatusRuntimeException e) {
            return refused(line, e);
        }
    }

    private static LineResult generate(BatchLine line, Iterator<ScheduleGenerateChunk> chunks, String requestId) {
        long started = System.nanoTime();
        String workerId = "";
        var text = new StringBuilder();
        FinishReason finish = FinishReason.FINISH_REASON_STOP;
        Usage usage = Usage.getDefaultInstance();
        ScheduleGenerateChunk last = ScheduleGenerateChunk.getDefaultInstance();
        while (chunks.hasNext()) {
            ScheduleGenerateChunk chunk = chunks.next();
            text.append(chunk.getText());
            if (!chunk.getWorkerId().isEmpty()) {
                workerId = chunk.getWorkerId(); // set on the first chunk, and again by a worker that resumed the line
            }
            if (chunk.hasUsage()) {
                usage = chunk.getUsage();
                finish = chunk.getFinishReason();
                last = chunk;
            }
        }
        return new LineResult(true, BatchOutput.generation(line, requestId, text.toString(), finish, usage,
                Instant.now().getEpochSecond()), usage.getPromptTokens(), usage.getCompletionTokens(),
                last.getEstimatedJoules(), last.getMeasuredJoules(), workerId, (System.nanoTime() - started) / 1e9);
    }

    /** A refusal that retrying will not change becomes the line's error entry; the rest go back to the runner. */
    private static LineResult refused(BatchLine line, StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        String message = e.getStatus().getDescription() == null ? code.name() : e.getStatus().getDescription();
        String requestId = line.requestId();
        return switch (code) {
            case INVALID_ARGUMENT -> LineResult.error(BatchOutput.refused(line, requestId, 400, "invalid_request_error", null, message));
            case NOT_FOUND -> LineResult.error(BatchOutput.refused(line, requestId, 404, "invalid_request_error", "model_not_found", message));
            default -> throw e;
        };
    }
}
