package dev.llmplatform.launcher;

/** Which actuator health group on the management port says that a service is up. */
public enum Probe {
    READINESS("health/readiness"),
    LIVENESS("health/liveness");

    private final String path;

    Probe(String path) {
        this.path = path;
    }

    public String path() {
        return path;
    }
}
