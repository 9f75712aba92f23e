package dev.llmplatform.scheduler.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.Usage;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallerStreamTest {

    /** A call whose transport takes messages only while {@code ready}, recording what was sent. */
    private static final class Call extends ServerCallStreamObserver<ScheduleGenerateChunk> {
        final List<ScheduleGenerateChunk> sent = new ArrayList<>();
        boolean ready = true;
        Runnable onReady;
        Throwable error;
        boolean completed;

        void becomeReady() {
            ready = true;
            onReady.run();
        }

        @Override
        public boolean isReady() {
            return ready;
        }

        @Override
        public void setOnReadyHandler(Runnable handler) {
            onReady = handler;
        }

        @Override
        public void onNext(ScheduleGenerateChunk value) {
            sent.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onCompleted() {
            completed = true;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setOnCancelHandler(Runnable handler) {
        }

        @Override
        public void setCompression(String compression) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public void request(int count) {
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }
    }

    private static ScheduleGenerateChunk.Builder token(String text) {
        return ScheduleGenerateChunk.newBuilder().setText(text).setTokenCount(1);
    }

    @Test
    void aReadyCallerGetsEachChunkAsItComes() {
        var call = new Call();
        var stream = new CallerStream(call);

        stream.send(token("In").setWorkerId("w1"));
        stream.send(token(" the"));
        stream.complete();

        assertThat(call.sent).extracting(ScheduleGenerateChunk::getText).containsExactly("In", " the");
        assertThat(call.sent.getFirst().getWorkerId()).isEqualTo("w1");
        assertThat(call.completed).isTrue();
    }

    @Test
    void chunksThatArriveWhileTheCallerIsNotReadyGoOutAsOneWhenItIs() {
        var call = new Call();
        var stream = new CallerStream(call);
        stream.send(token("In").setWorkerId("w1"));

        call.ready = false;
        stream.send(token(" the"));
        stream.send(token(" beginning"));
        stream.send(token(".").setFinishReason(FinishReason.FINISH_REASON_STOP)
                .setUsage(Usage.newBuilder().setPromptTokens(5).setCompletionTokens(4).setTotalTokens(9)));
        assertThat(call.sent).hasSize(1);

        call.becomeReady();

        assertThat(call.sent).hasSize(2);
        var merged = call.sent.get(1);
        assertThat(merged.getText()).isEqualTo(" the beginning.");
        assertThat(merged.getTokenCount()).isEqualTo(3);
        assertThat(merged.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
        assertThat(merged.getUsage().getTotalTokens()).isEqualTo(9);
        assertThat(merged.getWorkerId()).isEmpty();
    }

    @Test
    void whatIsPendingGoesOutBeforeTheEndOrTheError() {
        var ended = new Call();
        var stream = new CallerStream(ended);
        ended.ready = false;
        stream.send(token("In").setWorkerId("w1"));
        stream.complete();
        assertThat(ended.sent).extracting(ScheduleGenerateChunk::getText).containsExactly("In");
        assertThat(ended.completed).isTrue();

        var failed = new Call();
        var failing = new CallerStream(failed);
        failed.ready = false;
        failing.send(token("In"));
        failing.fail(Status.UNAVAILABLE.asRuntimeException());
        failing.send(token(" the"));
        assertThat(failed.sent).extracting(ScheduleGenerateChunk::getText).containsExactly("In");
        assertThat(Status.fromThrowable(failed.error).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }
}
