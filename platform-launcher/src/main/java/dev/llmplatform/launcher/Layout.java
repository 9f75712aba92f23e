package dev.llmplatform.launcher;

import java.nio.file.Path;

/**
 * Where a launcher finds the services' jars and keeps its state.
 *
 * @param root    the repository (each service's jar is {@code <root>/<service>/target/<service>-<version>-exec.jar})
 * @param logs    one log file per process, {@code <name>.log}
 * @param tmp     one temporary directory per process (llama.cpp's binding extracts its native library there)
 * @param tlsDir  the local CA and the services' certificates
 * @param aot     the AOT caches, one per service jar (shared by every launcher of the same build)
 */
public record Layout(Path root, String version, Path logs, Path tmp, Path tlsDir, Path aot) {

    public static final String VERSION = "0.1.0-SNAPSHOT";

    /** {@code ./platform up}'s layout: state under {@code <root>/.platform}. */
    public static Layout platformScript(Path root) {
        return platformScript(root, root.resolve(".platform"));
    }

    /** The same layout with its state in another folder (a test's, beside a developer's {@code ./platform}). */
    public static Layout platformScript(Path root, Path state) {
        return new Layout(root, VERSION, state.resolve("logs"), state.resolve("tmp"), state.resolve("certs"), aotOf(root));
    }

    /** A launcher's own working folder (a test's or a benchmark's): logs, certificates and temporary folders in it. */
    public static Layout workDir(Path root, String version, Path dir) {
        return new Layout(root, version, dir.resolve("platform-logs"), dir.resolve("platform-logs/tmp"), dir.resolve("certs"),
                aotOf(root));
    }

    /** The caches are products of the build, so they live (and are cleaned) with it. */
    private static Path aotOf(Path root) {
        return root.resolve("target/aot");
    }

    public Path jar(LocalService service) {
        return root.resolve(service.name() + "/target/" + service.name() + "-" + version + "-exec.jar");
    }
}
