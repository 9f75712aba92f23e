package dev.llmplatform.worker.core.api;

import com.google.protobuf.ByteString;
import dev.llmplatform.proto.v1.TopLogprob;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.worker.core.domain.TokenLogprob;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The chunks of one Generate call, sent with flow control and paced by a {@link StreamInterval}. Every token up to
 * the first that releases text goes out at once (time to first token), and so does each token that comes the hold or
 * more after the previous message (a slow stream loses nothing). Tokens that come sooner (short decode steps: a small
 * model, a fast device) are coalesced, texts concatenated and ids appended, and go out together once there are
 * enough of them and the interval is up, or when the hold is up: every hop after the worker (scheduler, gateway, the
 * client's SSE) then handles one message for several tokens. While the call cannot take a message (a slow client or
 * network), tokens are coalesced the same way until it is ready again, instead of queueing one message per token in
 * memory. The decode loop, the flush timer and gRPC's ready callback all call in, hence the lock. The pace is read at
 * each token: longer while the worker has requests waiting for a slot.
 */
final class ChunkStream {

    /** One timer for every stream of the worker: it only hands a coalesced chunk to gRPC. */
    private static final class FlushTimer {
        static final ScheduledThreadPoolExecutor TIMER = timer();

        private static ScheduledThreadPoolExecutor timer() {
            var timer = (ScheduledThreadPoolExecutor) Executors.newScheduledThreadPool(1,
                    Thread.ofPlatform().name("chunk-flush").daemon(true).factory());
            timer.setRemoveOnCancelPolicy(true);
            return timer;
        }
    }

    private final ServerCallStreamObserver<WorkerGenerateChunk> call;
    private final StreamInterval interval;
    private final StringBuilder pendingText = new StringBuilder();
    private final List<Integer> pendingTokens = new ArrayList<>();
    private final List<dev.llmplatform.proto.v1.TokenLogprob> pendingLogprobs = new ArrayList<>();
    private long lastSent;
    private boolean sentText; // a token whose text is not complete yet (part of a character) releases none
    private ScheduledFuture<?> scheduledFlush;
    private long scheduledAt;
    private long timers; // which scheduled flush is current: one replaced or cancelled may still run

    /**
     * Must be made while the call starts: gRPC takes the ready handler only then.
     *
     * @param interval when held tokens go out; zero time and one token sends each token as it comes
     */
    ChunkStream(ServerCallStreamObserver<WorkerGenerateChunk> call, StreamInterval interval) {
        this.call = call;
        this.interval = interval;
        call.setOnReadyHandler(this::onReady);
    }

    ChunkStream(ServerCallStreamObserver<WorkerGenerateChunk> call, Duration interval) {
        this(call, StreamInterval.fixed(interval));
    }

    /** One generated token and the text it releases. */
    synchronized void send(String text, int token) {
        send(text, token, null);
    }

    /** The same, with the token's log probability when the request asked for them. */
    synchronized void send(String text, int token, TokenLogprob logprob) {
        long now = System.nanoTime();
        long dueAt = lastSent + interval.dueAfterNanos(pendingTokens.size() + 1);
        boolean due = !sentText || now - dueAt >= 0; // until the first text, every token is due at once (TTFT)
        if (pendingTokens.isEmpty() && due && call.isReady()) {
            call.onNext(chunk(text, List.of(token), logprob == null ? List.of() : List.of(toProto(logprob))));
            sent(now, !text.isEmpty());
            return;
        }
        pendingText.append(text);
        pendingTokens.add(token);
        if (logprob != null) {
            pendingLogprobs.add(toProto(logprob));
        }
        if (!call.isReady()) {
            return; // onReady sends them
        }
        if (due) {
            flush(now);
        } else if (scheduledFlush == null || dueAt - scheduledAt < 0) { // enough tokens may bring the time forward
            if (scheduledFlush != null) {
                scheduledFlush.cancel(false);
            }
            long timer = ++timers;
            scheduledAt = dueAt;
            scheduledFlush = FlushTimer.TIMER.schedule(() -> onInterval(timer), dueAt - now, TimeUnit.NANOSECONDS);
        }
    }

    /** The last chunk: whatever is pending goes first, whether or not the call is ready (it ends here). */
    synchronized void finish(WorkerGenerateChunk last) {
        flush(System.nanoTime());
        call.onNext(last);
        call.onCompleted();
    }

    /** Ends the call with an error, after what is pending (those tokens were generated, and the caller counts them). */
    synchronized void fail(Throwable error) {
        flush(System.nanoTime());
        call.onError(error);
    }

    private synchronized void onReady() {
        if (!pendingTokens.isEmpty() && call.isReady()) {
            flush(System.nanoTime());
        }
    }

    private synchronized void onInterval(long timer) {
        if (timer != timers) {
            return; // replaced by an earlier one, or its chunk went before it ran
        }
        scheduledFlush = null;
        if (!pendingTokens.isEmpty() && call.isReady() && !call.isCancelled()) {
            flush(System.nanoTime());
        }
    }

    private void flush(long now) {
        if (!pendingTokens.isEmpty()) {
            call.onNext(chunk(pendingText.toString(), pendingTokens, pendingLogprobs));
            boolean withText = !pendingText.isEmpty();
            pendingText.setLength(0);
            pendingTokens.clear();
            pendingLogprobs.clear();
            sent(now, withText);
        }
    }

    private void sent(long now, boolean withText) {
        lastSent = now;
        sentText |= withText;
        if (scheduledFlush != null) {
            scheduledFlush.cancel(false);
            scheduledFlush = null;
            timers++;
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
