package dev.llmplatform.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's official Python client (the {@code openai} package) runs the Batch API flow against the gateway:
 * {@code src/test/python/batch_client.py}, the same flow as the Node client's. The build does not install the package
 * (PyPI is not reachable on every build machine): skipped, with the reason, where {@code python3 -c "import openai"}
 * fails; {@code pip install openai} runs it.
 */
class BatchPythonClientTest extends BatchClientScriptTest {

    @Override
    protected String clientName() {
        return "openai-python";
    }

    @Override
    protected Path scriptDir() {
        return root.resolve("platform-tests/src/test/python");
    }

    @Override
    protected List<String> command() {
        return List.of("python3", "batch_client.py");
    }

    @Override
    protected void assumeClientAvailable() throws IOException, InterruptedException {
        Run probe = run(scriptDir(), Duration.ofSeconds(60), Map.of(),
                List.of("python3", "-c", "import openai; print(openai.__version__)"));
        assumeTrue(probe.exitCode() == 0, () -> "OpenAI's Python client is not installed (`python3 -c \"import openai\"`: "
                + probe.output().strip().lines().reduce((first, last) -> last).orElse("") + "); `pip install openai` runs "
                + "this test");
    }
}
