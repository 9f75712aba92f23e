package dev.llmplatform.worker.core.api;

import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * The chunks of one Generate call, sent with flow control: while the call can take a message, each token's text goes
 * out at once; while it cannot (a slow client or network), the tokens pending for the sequence are coalesced and go
 * out as one chunk (text concatenated, token counts summed) when the call is ready again, instead of queueing one
 * message per token in memory. The decode loop and gRPC's ready callback both call in, hence the lock.
 */
final class ChunkStream {

    private final ServerCallStreamObserver<WorkerGenerateChunk> call;
    private final StringBuilder pendingText = new StringBuilder();
    private int pendingTokens;
    private boolean pending;

    /** Must be made while the call starts: gRPC takes the ready handler only then. */
    ChunkStream(ServerCallStreamObserver<WorkerGenerateChunk> call) {
        this.call = call;
        call.setOnReadyHandler(this::onReady);
    }

    /** Text of {@code tokens} generated tokens. */
    synchronized void send(String text, int tokens) {
        if (!pending && call.isReady()) {
            call.onNext(chunk(text, tokens));
            return;
        }
        pendingText.append(text);
        pendingTokens += tokens;
        pending = true;
        if (call.isReady()) {
            flush();
        }
    }

    /** The last chunk: whatever is pending goes first, whether or not the call is ready (it ends here). */
    synchronized void finish(WorkerGenerateChunk last) {
        flush();
        call.onNext(last);
        call.onCompleted();
    }

    /** Ends the call with an error, after what is pending (those tokens were generated, and the caller counts them). */
    synchronized void fail(Throwable error) {
        flush();
        call.onError(error);
    }

    private synchronized void onReady() {
        if (pending && call.isReady()) {
            flush();
        }
    }

    private void flush() {
        if (pending) {
            call.onNext(chunk(pendingText.toString(), pendingTokens));
            pendingText.setLength(0);
            pendingTokens = 0;
            pending = false;
        }
    }

    private static WorkerGenerateChunk chunk(String text, int tokens) {
        return WorkerGenerateChunk.newBuilder().setText(text).setTokenCount(tokens).build();
    }
}
