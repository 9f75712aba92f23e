package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import dev.llmplatform.launcher.LocalPlatform;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * A 500-request batch survives a restart of the registry's PostgreSQL server while its lines are being recorded: the
 * server is stopped for a few seconds mid-batch, so that the runner's RecordLineResult calls (and lease renewals, and
 * the gateway's reads) fail meanwhile (UNAVAILABLE: the gateway answers 503, never 500); the registry reconnects by itself, the runner records what it holds
 * once the database is back, and the batch completes with every line's result exactly once, in the files and in the
 * database. Only with RESTART_POSTGRES=true, as {@link PostgresRestartUnderLoadTest} ({@link PostgresRegistry}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 20, unit = TimeUnit.MINUTES)
@EnabledIfEnvironmentVariable(named = "RESTART_POSTGRES", matches = "true")
class BatchPostgresRestartTest {

    private static final int LINES = 500;
    private static final Duration DOWN = Duration.ofSeconds(3);

    private LocalPlatform platform;
    private PostgresRegistry database;
    private OpenAIClient client;

    @BeforeAll
    void startPlatformWithTheRegistryOnPostgres() throws Exception {
        platform = new LocalPlatform("sk-batch-pgrestart-" + System.nanoTime())
                .withWorkerCapacity(4, 2)
                .withServiceArgs(List.of("--scheduler.batch.concurrency=4", "--scheduler.batch.poll-interval=500ms"))
                .start();
        // the pool gives up on a connection after 1 s (Hikari's default: 30 s), so that an outage of a few seconds
        // fails calls, as a longer one would with the default, instead of holding them until the server is back
        database = PostgresRegistry.moveOnto(platform, "batch_restart",
                List.of("--spring.datasource.hikari.connection-timeout=1000"));
        client = LargeBatch.client(platform);
    }

    @AfterAll
    void stopPlatformAndDropSchema() throws Exception {
        if (client != null) {
            client.close();
        }
        if (platform != null) {
            platform.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void batchSurvivesAPostgresRestartWithNoLineLostOrDuplicated() throws Exception {
        LargeBatch batch = LargeBatch.submit(client, LINES);

        long before = batch.awaitDone(50, Duration.ofMinutes(3));
        assertThat(before).as("lines recorded before the restart").isBetween(50L, (long) LINES - 100);
        // the gateway is asked all along the outage: it may refuse while the database is away, never with a 500
        var polling = new AtomicBoolean(true);
        Thread poller = Thread.ofVirtual().start(() -> {
            while (polling.get()) {
                batch.poll();
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        Duration away;
        try {
            away = database.stopFor(DOWN);
        } finally {
            polling.set(false);
            poller.join(Duration.ofMinutes(1));
        }
        long after = batch.awaitDone(before + 1, Duration.ofMinutes(1));
        System.out.printf("[fault] PostgreSQL away %.1f s with %d of %d lines recorded (%d at the first answer after); polls refused: %s%n",
                away.toMillis() / 1e3, before, LINES, after, batch.refusedPolls());

        Batch last = batch.awaitEnd(Duration.ofMinutes(10));
        batch.assertEveryLineOnce(last);
        long retried = Files.readAllLines(platform.service("scheduler-service").log()).stream()
                .filter(l -> l.contains("recording line") && l.contains(batch.id())).count();
        System.out.printf("[fault] RecordLineResult calls that failed and were retried: %d; polls refused: %s%n",
                retried, batch.refusedPolls());
        assertThat(retried).as("RecordLineResult calls that failed while the database was away (else this tested nothing)").isPositive();

        // and in the database itself: one row per line, no more
        assertThat(database.query("SELECT status FROM batches WHERE id = '" + batch.id() + "'")).isEqualTo("COMPLETED");
        assertThat(database.query("SELECT COUNT(*) || ' ' || COUNT(DISTINCT line_index) || ' ' || COUNT(DISTINCT custom_id) || ' '"
                + " || MIN(line_index) || ' ' || MAX(line_index) FROM batch_line_results WHERE batch_id = '" + batch.id() + "'"))
                .as("rows, lines, custom_ids, first and last line").isEqualTo("%d %d %d 0 %d".formatted(LINES, LINES, LINES, LINES - 1));
        assertThat(batch.refusedPolls()).as("polls the gateway refused, by HTTP status").doesNotContainKey(500);
    }
}
