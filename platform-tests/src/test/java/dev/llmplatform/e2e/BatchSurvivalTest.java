package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import dev.llmplatform.launcher.LocalPlatform;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A 500-request batch survives kill -9 of the scheduler that runs it: a new scheduler process claims the batch once
 * the dead one's lease has run out, skips the lines already recorded, and the batch completes with every line's
 * result exactly once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 12, unit = java.util.concurrent.TimeUnit.MINUTES)
class BatchSurvivalTest {

    private static final int LINES = 500;

    private LocalPlatform platform;
    private OpenAIClient client;

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-batch-survival-" + System.nanoTime())
                .withWorkerCapacity(4, 2)
                // a short lease: the restarted scheduler (a new runner id) takes the batch over after at most 3 s
                .withServiceArgs(List.of("--scheduler.batch.lease=3s", "--scheduler.batch.concurrency=4",
                        "--scheduler.batch.poll-interval=500ms"))
                .start();
        client = LargeBatch.client(platform);
    }

    @AfterAll
    void stopPlatform() {
        if (client != null) {
            client.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void batchSurvivesKillOfTheSchedulerWithNoLineLostOrDuplicated() throws Exception {
        LargeBatch batch = LargeBatch.submit(client, LINES);

        // kill it mid-batch: some lines recorded, most not
        long done = batch.awaitDone(40, Duration.ofMinutes(3));
        assertThat(done).as("lines done before the kill").isBetween(40L, (long) LINES - 1);
        platform.kill("scheduler-service");
        platform.restart("scheduler-service");
        platform.awaitReady("scheduler-service", Duration.ofMinutes(4));

        Batch last = batch.awaitEnd(Duration.ofMinutes(5));
        batch.assertEveryLineOnce(last);
        assertThat(last.requestCounts().orElseThrow().failed()).isZero();
        assertThat(batch.refusedPolls()).as("polls the gateway refused").isEmpty();
    }
}
