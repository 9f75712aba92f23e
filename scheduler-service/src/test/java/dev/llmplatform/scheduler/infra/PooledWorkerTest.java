package dev.llmplatform.scheduler.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.scheduler.domain.DeviceProfile;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

/**
 * What the scheduler makes of a worker's load reports: unavailable while it restarts, never unknown; its load as it
 * is now, not as it was when it last reported.
 */
class PooledWorkerTest {

    private final PooledWorker worker = new PooledWorker("w1", "cpu", new DeviceProfile(65, 15, 1000, 100), null,
            CircuitBreaker.ofDefaults("w1"), 4, 0.2);

    private static LoadReport report(boolean ready, String... models) {
        var report = LoadReport.newBuilder().setWorkerId("w1").setReady(ready).setSlots(2);
        for (String model : models) {
            report.addModels(LoadedModel.newBuilder().setId(model).setContextLength(512));
        }
        return report.build();
    }

    @Test
    void aRestartedWorkerThatListsNoModelWhileLoadingKeepsItsModelsKnownButUnavailable() {
        worker.healthy(true);
        worker.report(report(true, "tiny-kjv-chat"));
        assertThat(worker.snapshot().serves("tiny-kjv-chat")).isTrue();

        worker.report(report(false)); // back from a crash, loading

        assertThat(worker.snapshot().knows("tiny-kjv-chat")).as("known: 503 and a retry, not 404").isTrue();
        assertThat(worker.snapshot().serves("tiny-kjv-chat")).isFalse();

        worker.report(report(true, "tiny-kjv-chat"));
        assertThat(worker.snapshot().serves("tiny-kjv-chat")).isTrue();
    }

    @Test
    void aReadyWorkerThatNoLongerListsAModelNoLongerKnowsIt() {
        worker.healthy(true);
        worker.report(report(true, "tiny-kjv-chat", "other"));

        worker.report(report(true, "other")); // unloaded on purpose

        assertThat(worker.snapshot().knows("tiny-kjv-chat")).isFalse();
        assertThat(worker.snapshot().serves("other")).isTrue();
    }

    @Test
    void theCachedPromptTokensAreTheLongestPrefixWhoseKeysTheWorkerReported() {
        java.util.List<Integer> cached = java.util.stream.IntStream.range(0, 40).boxed().toList();
        java.util.List<Integer> prompt = new java.util.ArrayList<>(cached.subList(0, 35));
        prompt.addAll(java.util.List.of(900, 901, 902, 903, 904, 905, 906, 907, 908, 909, 910, 911, 912));
        var keys = dev.llmplatform.commons.prefix.PrefixKeys.of(cached, 16);
        worker.report(report(true, "tiny-kjv-chat").toBuilder().setPrefixBlockTokens(16)
                .addAllCachedPrefixKeys(java.util.Arrays.stream(keys).boxed().toList()).build());

        long[] promptKeys = dev.llmplatform.commons.prefix.PrefixKeys.of(prompt, 16);

        assertThat(worker.reportedCachedTokens(promptKeys, 16)).as("two whole shared blocks of 16").isEqualTo(32);
        assertThat(worker.reportedCachedTokens(promptKeys, 32)).as("keys of another block size mean nothing").isZero();
    }

    @Test
    void aSlotThisSchedulerSawFreeIsFreeBeforeTheWorkerReportsAgain() {
        worker.healthy(true);
        for (int i = 0; i < 3; i++) {
            worker.placed(10, 20);
        }
        worker.report(load(2, 1));

        worker.finished(0, 0);

        assertThat(worker.snapshot().inFlight()).as("the report still says 3; one of them has ended since").isEqualTo(2);
        assertThat(worker.snapshot().running()).isEqualTo(2);
        assertThat(worker.snapshot().waiting()).isZero();
    }

    @Test
    void sequencesSomeoneElsePlacedOnTheWorkerCountUntilItReportsThemGone() {
        worker.healthy(true);
        worker.placed(10, 20);
        worker.report(load(2, 1)); // two of them are another caller's

        worker.placed(10, 20);
        assertThat(worker.snapshot().inFlight()).isEqualTo(4);
        worker.finished(0, 0);
        worker.finished(0, 0);
        assertThat(worker.snapshot().inFlight()).isEqualTo(2);

        worker.report(load(0, 0));
        assertThat(worker.snapshot().inFlight()).isZero();
    }

    @Test
    void aRequestOnItsWayToTheWorkerIsNotCountedTwice() {
        worker.healthy(true);
        worker.placed(10, 20);
        worker.placed(10, 20);

        worker.report(load(1, 0)); // it counted one of ours; the other is still on its way

        assertThat(worker.snapshot().inFlight()).isEqualTo(2);
    }

    private static LoadReport load(int running, int waiting) {
        return report(true, "tiny-kjv-chat").toBuilder().setRunning(running).setWaiting(waiting).build();
    }
}
