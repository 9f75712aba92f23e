package dev.llmplatform.worker.core.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostBuildTest {

    private static final String FLAGS = "flags\t\t: fpu vme de pse tsc msr avx2 avx512f avx512_bf16";
    // what `echo "$FLAGS" | sha256sum | cut -c1-16` prints, as tools/llama/build-llama-native.sh stamps it
    private static final String KEY = HostBuild.processorKey(FLAGS);

    @TempDir
    Path dir;

    @Test
    void aBuildStampedForThisProcessorIsUsed() throws IOException {
        Path cpuinfo = cpuinfo(FLAGS);
        Files.writeString(dir.resolve(".complete"), "a0d9dd80 " + KEY + " no-amx\n");

        assertThat(HostBuild.forProcessor(dir, cpuinfo)).contains(dir);
    }

    @Test
    void aBuildMadeOnAProcessorWithOtherFlagsIsNot() throws IOException {
        Path cpuinfo = cpuinfo(FLAGS.replace(" avx512_bf16", ""));
        Files.writeString(dir.resolve(".complete"), "a0d9dd80 " + KEY + " no-amx\n");

        assertThat(HostBuild.forProcessor(dir, cpuinfo)).isEmpty();
    }

    @Test
    void aBuildStampedBeforeAmxWasSwitchedOffIsNot() throws IOException {
        Path cpuinfo = cpuinfo(FLAGS);
        Files.writeString(dir.resolve(".complete"), "a0d9dd80 " + KEY + "\n");

        assertThat(HostBuild.forProcessor(dir, cpuinfo)).isEmpty();
    }

    @Test
    void anUnfinishedOrMissingBuildIsNot() throws IOException {
        Path cpuinfo = cpuinfo(FLAGS);

        assertThat(HostBuild.forProcessor(dir, cpuinfo)).isEmpty();
        assertThat(HostBuild.forProcessor(dir.resolve("absent"), cpuinfo)).isEmpty();
        Files.writeString(dir.resolve(".complete"), "a0d9dd80\n");
        assertThat(HostBuild.forProcessor(dir, cpuinfo)).isEmpty();
    }

    @Test
    void theKeyIsWhatTheBuildScriptComputes() throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "printf '%s\\n' \"$0\" | sha256sum | cut -c1-16", FLAGS).start();
        String scriptKey = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor()).isZero();

        assertThat(KEY).isEqualTo(scriptKey).hasSize(16);
    }

    private Path cpuinfo(String flags) throws IOException {
        return Files.writeString(dir.resolve("cpuinfo"), "processor\t: 0\nvendor_id\t: AuthenticAMD\n" + flags + "\nbugs\t\t:\n\n"
                + "processor\t: 1\n" + flags + "\n");
    }
}
