package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * OpenAI's Batch API through the whole platform with one of OpenAI's official clients in another language, run as a
 * script in its own process: the flow of {@link BatchEndToEndTest} (upload, create, poll, output and error files, list,
 * cancel) on the real model. The script checks every step itself, exits non-zero with a message on the first mismatch
 * and prints a JSON summary as its last line, which this test checks again. The scripts live in
 * {@code platform-tests/src/test/<language>/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 15, unit = TimeUnit.MINUTES) // the platform's start included
abstract class BatchClientScriptTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** How long the script may take in all; each of its polls waits at most {@code BATCH_TIMEOUT_S}. */
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(5);

    protected final Path root = Path.of(System.getProperty("platform.root", "..")).toAbsolutePath().normalize();
    private LocalPlatform platform;

    /** The client's name in the summary ({@code openai-node}, {@code openai-python}). */
    protected abstract String clientName();

    /** Skips (Assumptions) when the language or its client is absent, fails when the build should have installed it. */
    protected abstract void assumeClientAvailable() throws IOException, InterruptedException;

    /** The folder the script runs in. */
    protected abstract Path scriptDir();

    /** The command that runs the script. */
    protected abstract List<String> command();

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void theOfficialClientUploadsCreatesPollsReadsListsAndCancels() throws Exception {
        // in the test, not @BeforeAll: a skip is reported as such, with its reason, and costs no platform start
        assumeClientAvailable();
        platform = BatchEndToEndTest.batchPlatform();
        Run run = run(scriptDir(), SCRIPT_TIMEOUT, Map.of("OPENAI_BASE_URL", platform.gateway("/v1").toString(),
                "OPENAI_API_KEY", platform.apiKey(), "BATCH_MODEL", LocalPlatform.MODEL, "BATCH_TIMEOUT_S", "120"),
                command());
        assertThat(run.exitCode()).as("%s exited with %d:\n%s", String.join(" ", command()), run.exitCode(), run.output())
                .isZero();

        JsonNode summary = run.summary();
        System.out.println(clientName() + ": " + summary);
        String context = "summary of " + clientName() + ":\n" + run.output();
        assertThat(summary.get("client").stringValue()).as(context).isEqualTo(clientName());
        JsonNode batch = summary.get("batch");
        assertThat(batch.get("id").stringValue()).as(context).startsWith("batch_");
        assertThat(batch.get("status").stringValue()).as(context).isEqualTo("completed");
        assertThat(batch.get("request_counts").get("total").intValue()).as(context).isEqualTo(7);
        assertThat(batch.get("request_counts").get("completed").intValue()).as(context).isEqualTo(6);
        assertThat(batch.get("request_counts").get("failed").intValue()).as(context).isEqualTo(1);
        assertThat(batch.get("usage").get("input_tokens").intValue()).as(context).isPositive();
        assertThat(batch.get("usage").get("output_tokens").intValue()).as(context).isBetween(6, 36);
        assertThat(batch.get("metadata").get("client").stringValue()).as(context).isEqualTo(clientName());
        assertThat(summary.get("output").get("lines").intValue()).as(context).isEqualTo(6);
        JsonNode texts = summary.get("output").get("texts");
        assertThat(texts.propertyNames()).as(context)
                .containsExactlyInAnyOrder("genesis", "exodus", "psalm", "john", "ruth", "mark");
        texts.propertyNames().forEach(id -> assertThat(texts.get(id).stringValue()).as(context).isNotBlank());
        assertThat(summary.get("errors")).as(context).hasSize(1);
        assertThat(summary.get("errors").get(0).get("code").stringValue()).as(context).isEqualTo("invalid_json");
        assertThat(summary.get("listed").intValue()).as(context).isPositive();
        assertThat(summary.get("cancel").get("status_after_cancel").stringValue()).as(context).isIn("cancelling", "cancelled");
        assertThat(summary.get("cancel").get("status").stringValue()).as(context).isEqualTo("cancelled");
    }

    /** What a process printed (stdout and stderr together) and how it exited. */
    record Run(int exitCode, String output) {

        /** The script's last line that is a JSON object. */
        JsonNode summary() {
            List<String> lines = new ArrayList<>(output.lines().toList());
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("{")) {
                    return JSON.readTree(lines.get(i));
                }
            }
            throw new AssertionError("no JSON summary in the output:\n" + output);
        }
    }

    /**
     * Runs a command in {@code dir} with the given environment added (and any inherited {@code OPENAI_*} removed, so
     * that a developer's own settings do not leak into the client), its output captured; killed after
     * {@code timeout}, which fails the test with what it printed so far.
     */
    static Run run(Path dir, Duration timeout, Map<String, String> env, List<String> command)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile("batch-client", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("OPENAI_"));
            builder.environment().putAll(env);
            builder.environment().put("NO_PROXY", "127.0.0.1,localhost");
            builder.environment().put("no_proxy", "127.0.0.1,localhost");
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                return new Run(-1, "could not start " + command + ": " + e.getMessage());
            }
            if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " took longer than " + timeout + ":\n"
                        + Files.readString(log));
            }
            return new Run(process.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
