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
        var stream = new ChunkStream(call, Duration.ofMillis(200)); // long enough that no pause between two sends spans it

        stream.send("In", 10);
        stream.send(" the", 11);
        stream.send(" beginning", 12);
        awaitChunks(call, 2);

        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the beginning", 11, 12));
    }

    @Test
    void aTokenThatComesAfterTheIntervalOrTheHoldGoesAtOnceHoweverFewTokensItIs() throws Exception {
        for (var pace : List.of(StreamInterval.fixed(Duration.ofMillis(20)), tokensWithin(8, Duration.ZERO, Duration.ofMillis(20)))) {
            var call = new Call();
            var stream = new ChunkStream(call, pace);

            stream.send("In", 10);
            Thread.sleep(30); // at least 30 ms pass, whatever the machine's load: the interval or the hold is over
            stream.send(" the", 11);

            assertThat(call.sent).as("%s", pace).containsExactly(chunk("In", 10), chunk(" the", 11));
        }
    }

    @Test
    void whileRequestsWaitForASlotTokensAreHeldForTheBusyIntervalAndAtTheCalmOneAgainWhenNoneWait() throws Exception {
        var call = new Call();
        var saturated = new java.util.concurrent.atomic.AtomicBoolean(true);
        var stream = new ChunkStream(call, new StreamInterval(Duration.ZERO, Duration.ofHours(1), 1, Duration.ZERO, saturated::get));

        stream.send("In", 10);
        stream.send(" the", 11);
        assertThat(call.sent).as("the first token is never held, the second waits out the busy interval")
                .containsExactly(chunk("In", 10));

        saturated.set(false);
        stream.send(" beginning", 12);
        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the beginning", 11, 12));
    }

    private static StreamInterval tokensWithin(int tokens, Duration least, Duration hold) {
        return new StreamInterval(least, least, tokens, hold, () -> false);
    }

    /** Waits for the flush timer to send them, at most 10 s (a slow machine's timer may run late, never early). */
    private static void awaitChunks(Call call, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (call.sent.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    @Test
    void afterTheFirstTokenAChunkGoesOnceItHoldsEnoughTokens() {
        var call = new Call();
        var stream = new ChunkStream(call, tokensWithin(3, Duration.ZERO, Duration.ofHours(1)));

        stream.send("In", 10);
        stream.send(" the", 11);
        stream.send(" begin", 12);
        assertThat(call.sent).containsExactly(chunk("In", 10));
        stream.send("ning", 13);
        stream.send(" God", 14);

        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the beginning", 11, 12, 13));
    }

    @Test
    void aChunkThatDoesNotFillUpGoesWhenTheHoldIsUp() throws Exception {
        var call = new Call();
        var stream = new ChunkStream(call, tokensWithin(8, Duration.ZERO, Duration.ofMillis(200)));

        stream.send("In", 10);
        stream.send(" the", 11);
        stream.send(" beginning", 12);
        awaitChunks(call, 2);

        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the beginning", 11, 12));
    }

    @Test
    void aChunkThatFillsUpGoesWhenTheIntervalIsUpNotWhenTheHoldIs() throws Exception {
        var call = new Call();
        var stream = new ChunkStream(call, tokensWithin(2, Duration.ofMillis(200), Duration.ofHours(1)));

        stream.send("In", 10);
        stream.send(" the", 11); // one token: it would wait for the hold
        stream.send(" beginning", 12); // two: they wait for the interval only
        awaitChunks(call, 2);

        assertThat(call.sent).containsExactly(chunk("In", 10), chunk(" the beginning", 11, 12));
    }

    @Test
    void tokensThatReleaseNoTextYetDoNotHoldBackTheFirstText() {
        var call = new Call();
        var stream = new ChunkStream(call, tokensWithin(8, Duration.ZERO, Duration.ofHours(1)));

        stream.send("", 10); // the first bytes of a character: no text yet
        stream.send("\u00c9den", 11);
        stream.send(" the", 12);

        assertThat(call.sent).as("the first text is what a reader waits for").containsExactly(chunk("", 10), chunk("\u00c9den", 11));
    }

    @Test
    void aDueChunkTakesTheWorkersOtherChunksThatHoldHalfAsManyTokensWithIt() {
        var cohort = new StreamCohort();
        var pace = tokensWithin(8, Duration.ZERO, Duration.ofHours(1));
        Call first = new Call(), second = new Call(), third = new Call();
        var due = new ChunkStream(first, pace, cohort);
        var half = new ChunkStream(second, pace, cohort);
        var less = new ChunkStream(third, pace, cohort);
        due.send("In", 10);
        half.send("In", 10);
        less.send("In", 10);
        for (int token = 11; token <= 17; token++) {
            due.send(" a", token);
        }
        for (int token = 11; token <= 14; token++) {
            half.send(" b", token);
        }
        for (int token = 11; token <= 13; token++) {
            less.send(" c", token);
        }
        assertThat(List.of(first.sent, second.sent, third.sent)).allSatisfy(sent -> assertThat(sent).hasSize(1));

        due.send(" a", 18); // the eighth: due

        assertThat(first.sent).containsExactly(chunk("In", 10), chunk(" a a a a a a a a", 11, 12, 13, 14, 15, 16, 17, 18));
        assertThat(second.sent).as("four held tokens, half of eight: they go in the same moment")
                .containsExactly(chunk("In", 10), chunk(" b b b b", 11, 12, 13, 14));
        assertThat(third.sent).as("three wait for their own time").containsExactly(chunk("In", 10));
        assertThat(cohort.holding()).isEqualTo(1);
    }

    @Test
    void aHeldChunkDoesNotGoWithAnotherStreamsBeforeItsOwnLeastInterval() {
        var cohort = new StreamCohort();
        Call first = new Call(), second = new Call();
        var due = new ChunkStream(first, tokensWithin(2, Duration.ZERO, Duration.ofHours(1)), cohort);
        var paced = new ChunkStream(second, tokensWithin(2, Duration.ofHours(1), Duration.ofHours(1)), cohort);
        paced.send("In", 10);
        paced.send(" the", 11);
        due.send("In", 10);
        due.send(" the", 11);

        due.send(" beginning", 12);

        assertThat(first.sent).containsExactly(chunk("In", 10), chunk(" the beginning", 11, 12));
        assertThat(second.sent).containsExactly(chunk("In", 10));
    }
}
