package dev.llmplatform.scheduler.infra;

import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * The caller's side of a relayed stream, with gRPC's flow control: chunks go out as they come while the transport
 * takes them; while it does not (a slow caller), they merge into one pending chunk that goes out when it is ready
 * again. A slow caller so costs one chunk of memory, not a queue of messages, and text that is ready together
 * travels together. Nothing is lost: texts concatenate and token counts add up.
 */
final class CallerStream {

    private final ServerCallStreamObserver<ScheduleGenerateChunk> call;
    private ScheduleGenerateChunk.Builder pending;
    private boolean closed;

    /** Must be made while the service method runs: gRPC takes the ready handler only then. */
    CallerStream(ServerCallStreamObserver<ScheduleGenerateChunk> call) {
        this.call = call;
        call.setOnReadyHandler(this::ready);
    }

    void onCancel(Runnable handler) {
        call.setOnCancelHandler(handler);
    }

    synchronized void send(ScheduleGenerateChunk.Builder chunk) {
        if (closed) {
            return;
        }
        if (pending == null) {
            pending = chunk;
        } else {
            merge(pending, chunk);
        }
        if (call.isReady()) {
            flush();
        }
    }

    synchronized void complete() {
        if (closed) {
            return;
        }
        flush();
        closed = true;
        call.onCompleted();
    }

    /** Text already received goes out before the error, so that the caller has all that was generated. */
    synchronized void fail(StatusRuntimeException error) {
        if (closed) {
            return;
        }
        flush();
        closed = true;
        call.onError(error);
    }

    private synchronized void ready() {
        if (!closed && call.isReady()) {
            flush();
        }
    }

    private void flush() {
        if (pending != null) {
            call.onNext(pending.build());
            pending = null;
        }
    }

    /** {@code next} appended to {@code into}: the first chunk's worker id stays, the last one's end counts. */
    static void merge(ScheduleGenerateChunk.Builder into, ScheduleGenerateChunk.Builder next) {
        into.setText(into.getText() + next.getText());
        into.setTokenCount(into.getTokenCount() + next.getTokenCount());
        into.addAllLogprobs(next.getLogprobsList());
        if (next.getFinishReason() != FinishReason.FINISH_REASON_UNSPECIFIED) {
            into.setFinishReason(next.getFinishReason());
        }
        if (next.hasUsage()) {
            into.setUsage(next.getUsage());
        }
        if (into.getWorkerId().isEmpty()) {
            into.setWorkerId(next.getWorkerId());
        }
    }
}
