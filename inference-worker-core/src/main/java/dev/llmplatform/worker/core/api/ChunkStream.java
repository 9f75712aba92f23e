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
 * each token: longer while the worker has requests waiting for a slot. A chunk that goes because it is due takes the
 * nearly due chunks of the worker's other streams with it ({@link StreamCohort}).
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
    private final StreamCohort cohort;
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
     * @param cohort   the worker's other streams, whose nearly due chunks go with this one's and this one's with theirs
     */
    ChunkStream(ServerCallStreamObserver<WorkerGenerateChunk> call, StreamInterval interval, StreamCohort cohort) {
        this.call = call;
        this.interval = interval;
        this.cohort = cohort;
        call.setOnReadyHandler(this::onReady);
    }

    /** A stream paced on its own. */
    ChunkStream(ServerCallStreamObserver<WorkerGenerateChunk> call, StreamInterval interval) {
        this(call, interval, new StreamCohort());
    }

    ChunkStream(ServerCallStreamObserver<WorkerGenerateChunk> call, Duration interval) {
        this(call, StreamInterval.fixed(interval));
    }

    /** One generated token and the text it releases. */
    void send(String text, int token) {
        send(text, token, null);
    }

    /** The same, with the token's log probability when the request asked for them. */
    void send(String text, int token, TokenLogprob logprob) {
        long now = System.nanoTime();
        if (accept(text, token, logprob, now)) {
            cohort.sentDue(this, now); // outside this stream's lock
        }
    }

    /** @return whether held tokens went because they were due: then the cohort's nearly due chunks go too */
    private synchronized boolean accept(String text, int token, TokenLogprob logprob, long now) {
        long dueAt = lastSent + interval.dueAfterNanos(pendingTokens.size() + 1);
        boolean paced = sentText && now - dueAt >= 0;
        boolean due = !sentText || paced; // until the first text, every token is due at once (TTFT)
        if (pendingTokens.isEmpty() && due && call.isReady()) {
            call.onNext(chunk(text, List.of(token), logprob == null ? List.of() : List.of(toProto(logprob))));
            sent(now, !text.isEmpty());
            return false; // nothing was held: a first text or a slow stream's token, no moment for the others
        }
        pendingText.append(text);
        pendingTokens.add(token);
        if (logprob != null) {
            pendingLogprobs.add(toProto(logprob));
        }
        cohort.holds(this);
        if (!call.isReady()) {
            return false; // onReady sends them
        }
        if (due) {
            flush(now);
            return paced;
        }
        if (scheduledFlush == null || dueAt - scheduledAt < 0) { // enough tokens may bring the time forward
            if (scheduledFlush != null) {
                scheduledFlush.cancel(false);
            }
            long timer = ++timers;
            scheduledAt = dueAt;
            scheduledFlush = FlushTimer.TIMER.schedule(() -> onInterval(timer), dueAt - now, TimeUnit.NANOSECONDS);
        }
        return false;
    }

    /**
     * Another stream of the worker just sent a due chunk: this one's goes with it when it holds enough tokens and its
     * least interval is over, and waits for its own time otherwise.
     */
    synchronized void joinDue(long now) {
        if (call.isCancelled()) {
            clearPending();
            return;
        }
        if (pendingTokens.size() >= interval.joinTokens() && now - lastSent - interval.nanos() >= 0 && call.isReady()) {
            flush(now);
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

    private void onInterval(long timer) {
        long now = System.nanoTime();
        if (flushOnInterval(timer, now)) {
            cohort.sentDue(this, now);
        }
    }

    private synchronized boolean flushOnInterval(long timer, long now) {
        if (timer != timers) {
            return false; // replaced by an earlier one, or its chunk went before it ran
        }
        scheduledFlush = null;
        if (call.isCancelled()) {
            clearPending();
            return false;
        }
        if (!pendingTokens.isEmpty() && call.isReady()) {
            flush(now);
            return true;
        }
        return false;
    }

    private void flush(long now) {
        if (!pendingTokens.isEmpty()) {
            call.onNext(chunk(pendingText.toString(), pendingTokens, pendingLogprobs));
            boolean withText = !pendingText.isEmpty();
            clearPending();
            sent(now, withText);
        }
    }

    private void clearPending() {
        pendingText.setLength(0);
        pendingTokens.clear();
        pendingLogprobs.clear();
        cohort.released(this);
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
