package dev.llmplatform.worker.core.infra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A llama.cpp build compiled on this host for its processor (tools/llama/build-llama-native.sh, GGML_NATIVE). On the
 * project's machines it decodes batches faster than the prebuilt x86 back ends (docs/benchmarks.md). Such a build may
 * use instructions another processor lacks, and an illegal instruction kills the process rather than throwing, so it
 * is used only when its stamp names this processor: the script writes the first {@code flags} line of
 * /proc/cpuinfo, hashed, after the source's checksum into {@code .complete}, and then {@value #NO_AMX}. A build stamped
 * without that mark predates AMX being switched off in it (ggml's AMX matrix multiply crashed the worker on a Xeon), so
 * it is not used either.
 */
public final class HostBuild {

    static final String NO_AMX = "no-amx";

    private HostBuild() {
    }

    /** {@code dir} when it holds a finished host build made on a processor with this one's flags, else empty. */
    public static Optional<Path> forThisProcessor(Path dir) {
        return forProcessor(dir, Path.of("/proc/cpuinfo"));
    }

    static Optional<Path> forProcessor(Path dir, Path cpuinfo) {
        try {
            Path stamp = dir.resolve(".complete");
            if (!Files.isRegularFile(stamp) || !Files.isRegularFile(cpuinfo)) {
                return Optional.empty();
            }
            String[] fields = Files.readString(stamp).strip().split(" ");
            Optional<String> flags = Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("flags")).findFirst();
            if (fields.length != 3 || !fields[2].equals(NO_AMX) || flags.isEmpty()) {
                return Optional.empty();
            }
            return fields[1].equals(processorKey(flags.get())) ? Optional.of(dir) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** What the script computes: {@code grep -m1 '^flags' /proc/cpuinfo | sha256sum | cut -c1-16}. */
    static String processorKey(String flagsLine) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest((flagsLine + "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
