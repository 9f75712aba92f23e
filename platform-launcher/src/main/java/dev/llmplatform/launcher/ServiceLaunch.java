package dev.llmplatform.launcher;

import java.util.List;

/**
 * What to start: one JVM of a service's executable jar.
 *
 * @param name    the process's own name (logs, temporary directory); a second CPU worker is e.g.
 *                {@code inference-cpu-service-b}
 * @param service the row of the service table whose jar and heap it runs
 * @param args    the service's own arguments, after the ports and the certificates' folder
 * @param prefix  what the JVM runs under (e.g. nice, taskset), empty for nothing
 */
public record ServiceLaunch(String name, LocalService service, List<String> args, List<String> prefix) {

    public ServiceLaunch {
        args = List.copyOf(args);
        prefix = List.copyOf(prefix);
    }

    public static ServiceLaunch of(LocalService service, List<String> args) {
        return new ServiceLaunch(service.name(), service, args, List.of());
    }

    public Ports ports() {
        return service.ports();
    }

    /** The same launch with other arguments (a restart that moves the registry to another database). */
    public ServiceLaunch withArgs(List<String> newArgs) {
        return new ServiceLaunch(name, service, newArgs, prefix);
    }
}
