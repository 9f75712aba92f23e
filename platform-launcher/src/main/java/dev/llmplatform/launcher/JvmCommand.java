package dev.llmplatform.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The one command line every launcher runs a service with. */
public final class JvmCommand {

    private JvmCommand() {
    }

    /**
     * The JVM's own options. C2 (the default tiered compilation) for peak speed: the AOT cache, not C1 alone, is what
     * keeps the start fast. Serial GC: the services run side by side on few cores.
     */
    public static List<String> jvmOptions(LocalService service, Path tmpDir) {
        return List.of(
                "-Xmx" + service.heap(), "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
                // own temporary directory: llama.cpp's binding extracts its native library there, and two JVMs
                // rewriting one /tmp/libjllama.so at once can crash the one that already mapped it
                "-Djava.io.tmpdir=" + tmpDir);
    }

    /** The service's arguments: its ports, the certificates' folder, then its own. */
    public static List<String> programArgs(Ports ports, Path tlsDir, List<String> args) {
        List<String> program = new ArrayList<>();
        program.add("--server.port=" + ports.http());
        if (ports.grpc() > 0) {
            program.add("--spring.grpc.server.port=" + ports.grpc());
        }
        program.add("--management.server.port=" + ports.management());
        program.add("--platform.security.tls-dir=" + tlsDir);
        program.addAll(args);
        return program;
    }

    /** The whole command, without the launch's prefix (nice, taskset): what /proc/PID/cmdline of the JVM shows. */
    public static List<String> of(Path java, ServiceLaunch launch, Path tmpDir, StartForm form, Path tlsDir) {
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(jvmOptions(launch.service(), tmpDir));
        command.addAll(form.jvmArgs());
        command.addAll(programArgs(launch.ports(), tlsDir, launch.args()));
        return command;
    }

    /** The java of the JDK that runs the launcher, so that tests, benchmarks and ./platform all use one. */
    public static Path currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }
}
