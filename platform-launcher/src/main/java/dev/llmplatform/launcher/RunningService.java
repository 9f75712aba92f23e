package dev.llmplatform.launcher;

import java.net.URI;
import java.nio.file.Path;

/** A started service: its loopback ports, its JVM and its log. */
public record RunningService(String name, int httpPort, int grpcPort, int managementPort, Process process, Path log) {

    /** The service's actuator endpoint (health, prometheus) on its management port. */
    public URI actuator(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + "/actuator/" + path);
    }
}
