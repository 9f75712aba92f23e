package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's official Node client (the {@code openai} npm package, pinned in {@code src/test/node/package.json}) runs
 * the Batch API flow against the gateway: {@code src/test/node/batch-client.mjs}. The build installs the package
 * ({@code npm ci} in generate-test-resources); skipped only where there is no {@code node} at all.
 */
class BatchNodeClientTest extends BatchClientScriptTest {

    @Override
    protected String clientName() {
        return "openai-node";
    }

    @Override
    protected Path scriptDir() {
        return root.resolve("platform-tests/src/test/node");
    }

    @Override
    protected List<String> command() {
        return List.of("node", "batch-client.mjs");
    }

    @Override
    protected void assumeClientAvailable() throws IOException, InterruptedException {
        Run version = run(scriptDir(), Duration.ofSeconds(30), Map.of(), List.of("node", "--version"));
        assumeTrue(version.exitCode() == 0, () -> "node is not installed (`node --version`: " + version.output().strip()
                + "); the official Node client's batch test needs it");
        if (!Files.isRegularFile(scriptDir().resolve("node_modules/openai/package.json"))) {
            fail(scriptDir().resolve("node_modules/openai") + " is missing: the build installs it (`npm ci` in "
                    + "platform-tests' generate-test-resources phase; by hand: cd platform-tests/src/test/node && "
                    + "npm ci --ignore-scripts)");
        }
    }
}
