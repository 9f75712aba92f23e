package dev.llmplatform.worker.core.api;

import com.google.protobuf.ByteString;
import dev.llmplatform.proto.v1.TopLogprob;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.worker.core.domain.TokenLogprob;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;

/**
 * The chunks of one Generate call, sent with flow control: while the call can take a message, each token goes out at
 * once with its text and id; while it cannot (a slow client or network), the tokens pending for the sequence are
 * coalesced and go out as one chunk (texts concatenated, ids appended) when the call is ready again, instead of
 * queueing one message per token in memory. The decode loop and gRPC's ready callback both call in, hence the lock.
 */
final class ChunkStream {

    private final ServerCallStreamObserver<WorkerGenerateChunk> call;
    private final StringBuilder pendingText = new StringBuilder();
    private final List<Integer> pendingTokens = new ArrayList<>();
    private final List<dev.llmplatform.proto.v1.TokenLogprob> pendingLogprobs = new ArrayList<>();

    /** Must be made while the call starts: gRPC takes the ready handler only then. */
    ChunkStream(ServerCallStreamObserver<WorkerGenerateChunk> call) {
        this.call = call;
        call.setOnReadyHandler(this::onReady);
    }

    /** One generated token and the text it releases. */
    synchronized void send(String text, int token) {
        send(text, token, null);
    }

    /** The same, with the token's log probability when the request asked for them. */
    synchronized void send(String text, int token, TokenLogprob logprob) {
        if (pendingTokens.isEmpty() && call.isReady()) {
            call.onNext(chunk(text, List.of(token), logprob == null ? List.of() : List.of(toProto(logprob))));
            return;
        }
        pendingText.append(text);
        pendingTokens.add(token);
        if (logprob != null) {
            pendingLogprobs.add(toProto(logprob));
        }
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
        if (!pendingTokens.isEmpty() && call.isReady()) {
            flush();
        }
    }

    private void flush() {
        if (!pendingTokens.isEmpty()) {
            call.onNext(chunk(pendingText.toString(), pendingTokens, pendingLogprobs));
            pendingText.setLength(0);
            pendingTokens.clear();
            pendingLogprobs.clear();
        }
    }

    private static WorkerGenerateChunk chunk(String text, List<Integer> tokens, List<dev.llmplatform.proto.v1.TokenLogprob> logprobs) {
        return WorkerGenerateChunk.newBuilder().setText(text).setTokenCount(tokens.size()).addAllTokenIds(tokens)
                .addAllLogprobs(logprobs).build();
    }

    private static dev.llmplatform.proto.v1.TokenLogprob toProto(TokenLogprob logprob) {
        var proto = dev.llmplatform.proto.v1.TokenLogprob.newBuilder()
                .setToken(ByteString.copyFrom(logprob.token())).setLogprob(logprob.logprob());
        for (var alternative : logprob.top()) {
            proto.addTopLogprobs(TopLogprob.newBuilder().setToken(ByteString.copyFrom(alternative.token()))
                    .setLogprob(alternative.logprob()));
        }
        return proto.build();
    }
}
