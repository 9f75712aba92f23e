package dev.llmplatform.worker.core.infra;

import dev.llmplatform.worker.core.domain.LoadedModels;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Part of readiness: up only when the worker computes on a usable back end and has a model loaded; otherwise out of
 * service with the reason and its code (no GPU, no llama.cpp build, no model yet), shown in /actuator/health.
 * No host paths here: the health page is read by more than the operator (the paths are in the log).
 */
public final class WorkerReadiness implements HealthIndicator {

    private final WorkerDevice device;
    private final ModelLoader loader;
    private final LoadedModels models;

    public WorkerReadiness(WorkerDevice device, ModelLoader loader, LoadedModels models) {
        this.device = device;
        this.loader = loader;
        this.models = models;
    }

    @Override
    public Health health() {
        String reason = loader.notReadyReason();
        var health = reason.isEmpty() ? Health.up()
                : Health.outOfService().withDetail("reason", reason).withDetail("code", loader.notReadyCode());
        if (device.backend() instanceof Backend.Usable usable) {
            health.withDetail("device", usable.device());
        }
        health.withDetails(device.healthDetails());
        health.withDetail("models", models.all().stream().map(e -> e.engine().modelId()).toList());
        return health.build();
    }
}
