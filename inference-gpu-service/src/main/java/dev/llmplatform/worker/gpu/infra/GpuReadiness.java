package dev.llmplatform.worker.gpu.infra;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Why this worker cannot serve: no GPU, or (with a GPU) no CUDA engine in this build yet. Readiness stays down
 * and the reason shows in /actuator/health so an operator sees it at once.
 */
@Component("gpu")
public class GpuReadiness implements HealthIndicator {

    private final GpuProbe probe;
    private volatile GpuProbe.Discovery discovery;

    public GpuReadiness(GpuProbe probe) {
        this.probe = probe;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void discover() {
        discovery = probe.discover();
    }

    public String reason() {
        return switch (discovery()) {
            case GpuProbe.Discovery.NotFound notFound -> notFound.reason();
            case GpuProbe.Discovery.Found found ->
                    found.gpus().size() + " GPU(s) found, but this build has no CUDA inference engine loaded";
        };
    }

    private GpuProbe.Discovery discovery() {
        var current = discovery;
        return current != null ? current : (discovery = probe.discover());
    }

    @Override
    public Health health() {
        var health = Health.outOfService().withDetail("reason", reason());
        if (discovery() instanceof GpuProbe.Discovery.Found found) {
            health.withDetail("gpus", found.gpus());
        }
        return health.build();
    }
}
