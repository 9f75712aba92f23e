package dev.llmplatform.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a crash leaves behind: pid files that name no service any more, and logs that must not be lost. */
class StaleStateTest {

    @TempDir
    Path root;

    @Test
    void aPidFileNamingADeadProcessOrAnotherProgramIsStaleAndRemoved() throws Exception {
        var command = new PlatformCommand(root);
        Path pids = Files.createDirectories(root.resolve(".platform/pids"));
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        try {
            awaitExec(sleeper, "sleep");
            // a live process that is not the service (the pid reused after a crash)
            Files.writeString(pids.resolve("gateway.pid"), sleeper.pid() + "\n");
            assertThat(command.runningPid("gateway")).isEmpty();
            assertThat(pids.resolve("gateway.pid")).doesNotExist();
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
        // a dead one
        Files.writeString(pids.resolve("gateway.pid"), sleeper.pid() + "\n");
        assertThat(command.runningPid("gateway")).isEmpty();
        assertThat(pids.resolve("gateway.pid")).doesNotExist();
        // and garbage
        Files.writeString(pids.resolve("tokenizer-service.pid"), "not a pid");
        assertThat(command.runningPid("tokenizer-service")).isEmpty();
    }

    @Test
    void aLiveProcessRunningTheServicesJarIsTheService() throws Exception {
        Path jar = Files.createDirectories(root.resolve("gateway/target")).resolve("gateway-0.1.0-SNAPSHOT-exec.jar");
        Files.writeString(jar, "");
        // a process whose command line names the jar as the platform starts it (it need not run it)
        Process stand = new ProcessBuilder("tail", "-f", "/dev/null", jar.toString()).start();
        try {
            awaitExec(stand, "tail");
            assertThat(PlatformCommand.isService(stand.toHandle(), "gateway")).isTrue();
            assertThat(PlatformCommand.isService(stand.toHandle(), "scheduler-service")).isFalse();
        } finally {
            stand.destroyForcibly().waitFor();
        }
    }

    /** Until the started program has replaced the forked child, /proc shows the parent's command line. */
    private static void awaitExec(Process process, String program) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        Path cmdline = Path.of("/proc", Long.toString(process.pid()), "cmdline");
        while (!(Files.isReadable(cmdline) && Files.readString(cmdline).startsWith(program)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    @Test
    void aLogPastItsSizeIsRotatedAtTheNextStartAndTheOldestBeyondTheKeptCountDropped() throws Exception {
        Path log = Files.writeString(root.resolve("gateway.log"), "x".repeat(100));
        Files.writeString(root.resolve("gateway.log.1"), "older");
        Files.writeString(root.resolve("gateway.log.2"), "oldest");

        LogRotation.rotateIfLarger(log, 50, 2);

        assertThat(log).doesNotExist();
        assertThat(root.resolve("gateway.log.1")).hasContent("x".repeat(100));
        assertThat(root.resolve("gateway.log.2")).hasContent("older");
        assertThat(root.resolve("gateway.log.3")).doesNotExist();

        Path small = Files.writeString(root.resolve("tokenizer.log"), "short");
        LogRotation.rotateIfLarger(small, 50, 2);
        assertThat(small).hasContent("short");
    }
}
