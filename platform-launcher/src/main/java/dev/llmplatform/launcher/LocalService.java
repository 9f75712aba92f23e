package dev.llmplatform.launcher;

import java.util.List;
import java.util.NoSuchElementException;

/**
 * One row of the platform's local service table: its fixed ports (those of {@code ./platform up}, see
 * docs/ARCHITECTURE's port table), and its heap, which every launcher gives it.
 *
 * @param readinessProbe what says the service is up: the GPU worker stays unready without a GPU, so alive is
 *                       enough for it
 */
public record LocalService(String name, Ports ports, String heap, Probe readinessProbe) {

    /** Every service in start order; each one only needs those before it to be useful. */
    public static final List<LocalService> ALL = List.of(
            new LocalService("model-registry", new Ports(8081, 9091, 8181), "256m", Probe.READINESS),
            new LocalService("tokenizer-service", new Ports(8082, 9092, 8182), "256m", Probe.READINESS),
            new LocalService("inference-cpu-service", new Ports(8083, 9093, 8183), "512m", Probe.READINESS),
            new LocalService("inference-gpu-service", new Ports(8084, 9094, 8184), "192m", Probe.LIVENESS),
            new LocalService("scheduler-service", new Ports(8085, 9095, 8185), "256m", Probe.READINESS),
            new LocalService("gateway", new Ports(8080, 0, 8180), "384m", Probe.READINESS));

    /** The identities the local CA issues certificates to: every service, and "admin" for an operator's own calls. */
    public static final List<String> IDENTITIES = List.of("model-registry", "tokenizer-service", "inference-cpu-service",
            "inference-gpu-service", "scheduler-service", "gateway", "admin");

    public static LocalService named(String name) {
        return ALL.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new NoSuchElementException("no service " + name + " in the local table"));
    }

    /** The same service on other ports, e.g. free ones for a test. */
    public LocalService on(Ports other) {
        return new LocalService(name, other, heap, readinessProbe);
    }
}
