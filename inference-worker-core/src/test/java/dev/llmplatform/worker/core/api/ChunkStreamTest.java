package dev.llmplatform.worker.core.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Flow control of a Generate stream: tokens that meet a call that cannot take them travel together, later; and tokens
 * that come within the stream interval of the previous chunk travel together at its end.
 */
class ChunkStreamTest {

    /** The server side of a call whose readiness the test switches, as a slow client's would switch. */
    static final class Call extends ServerCallStreamObserver<WorkerGenerateChunk> {
        final List<WorkerGenerateChunk> sent = new CopyOnWriteArrayList<>(); // the flush timer sends too
        boolean ready = true;
        boolean completed;
        Runnable onReady = () -> { };

        void becomeReady() {
            ready = true;
            onReady.run();
        }

        @Override public boolean isReady() { return ready; }
        @Override public void setOnReadyHandler(Runnable handler) { onReady = handler; }
        @Override public void onNext(WorkerGenerateChunk value) { sent.add(value); }
        @Override public void onCompleted() { completed = true; }
        @Override public void onError(Throwable t) { throw new AssertionError(t); }
        @Override public boolean isCancelled() { return false; }
        @Override public void setOnCancelHandler(Runnable handler) { }
        @Override public void setCompression(String compression) { }
        @Override public void disableAutoInboundFlowControl() { }
        @Override public void request(int count) { }
        @Override public void setMessageCompression(boolean enable) { }
    }

    private static WorkerGenerateChunk chunk(String text, Integer... tokenIds) {
        return WorkerGenerateChunk.newBuilder().setText(text).setTokenCount(tokenIds.length).addAllTokenIds(List.of(tokenIds)).build();
    }

    @Test
    void aReadyCallGetsOneChunkPerToken() {
        var call = new Call();
        var stream = new ChunkStream(call, Duration.ZERO);

        stream.send("In", 10);
        stream.send(" the", 11);

        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the", 11));
    }

    @Test
    void tokensPendingWhileTheCallIsNotReadyTravelAsOneChunkWhenItIs() {
        var call = new Call();
        var stream = new ChunkStream(call, Duration.ZERO);
        stream.send("In", 10);
        call.ready = false;

        stream.send(" the", 11);
        stream.send(" begin", 12);
        stream.send("ning", 13);
        assertThat(call.sent).hasSize(1);
        call.becomeReady();
        stream.send(" God", 14);

        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the beginning", 11, 12, 13), chunk(" God", 14));
    }

    @Test
    void theLastChunkFollowsWhatIsPendingEvenWhenTheCallIsNotReady() {
        var call = new Call();
        var stream = new ChunkStream(call, Duration.ZERO);
        call.ready = false;
        stream.send("In", 10);
        stream.send(" the", 11);
        var last = WorkerGenerateChunk.newBuilder().setFinishReason(FinishReason.FINISH_REASON_LENGTH).build();

        stream.finish(last);

        assertThat(call.sent).containsExactly(chunk("In the", 10, 11), last);
        assertThat(call.completed).isTrue();
    }

    @Test
    void theFirstTokenGoesAtOnceAndThoseWithinTheIntervalWaitForIt() {
        var call = new Call();
        var stream = new ChunkStream(call, Duration.ofHours(1));

        stream.send("In", 10);
        stream.send(" the", 11);
        stream.send(" beginning", 12);

        assertThat(call.sent).containsExactly(chunk("In", 10));
        var last = WorkerGenerateChunk.newBuilder().setFinishReason(FinishReason.FINISH_REASON_STOP).build();
        stream.finish(last);
        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the beginning", 11, 12), last);
    }

    @Test
    void tokensHeldWithinTheIntervalGoOutTogetherWhenItEndsWithoutWaitingForAnotherToken() throws Exception {
        var call = new Call();
        var stream = new ChunkStream(call, Duration.ofMillis(20));

        stream.send("In", 10);
        stream.send(" the", 11);
        stream.send(" beginning", 12);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (call.sent.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }

        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the beginning", 11, 12));
    }

    @Test
    void aTokenThatComesAfterTheIntervalGoesAtOnce() throws Exception {
        var call = new Call();
        var stream = new ChunkStream(call, Duration.ofMillis(20));

        stream.send("In", 10);
        Thread.sleep(30); // at least 30 ms pass, whatever the machine's load: the interval is over
        stream.send(" the", 11);

        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the", 11));
    }

    @Test
    void whileRequestsWaitForASlotTokensAreHeldForTheBusyIntervalAndAtTheCalmOneAgainWhenNoneWait() throws Exception {
        var call = new Call();
        var saturated = new java.util.concurrent.atomic.AtomicBoolean(true);
        var stream = new ChunkStream(call, new StreamInterval(Duration.ZERO, Duration.ofHours(1), saturated::get));

        stream.send("In", 10);
        stream.send(" the", 11);
        assertThat(call.sent).as("the first token is never held, the second waits out the busy interval")
                .containsExactly(chunk("In", 10));

        saturated.set(false);
        stream.send(" beginning", 12);
        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the beginning", 11, 12));
    }
}
