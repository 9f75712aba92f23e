package dev.llmplatform.worker.gpu.infra;

import dev.llmplatform.worker.gpu.domain.LoadedModels;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Part of readiness: up only when the worker computes on a usable back end and has a model loaded. Otherwise out of
 * service with the reason (no GPU, no CUDA back end, no model yet), shown in /actuator/health for an operator.
 */
@Component("gpu")
public class GpuReadiness implements HealthIndicator {

    private final ComputeBackend backend;
    private final ModelLoader loader;
    private final LoadedModels models;
    private final GpuTelemetry telemetry;

    public GpuReadiness(ComputeBackend backend, ModelLoader loader, LoadedModels models, GpuTelemetry telemetry) {
        this.backend = backend;
        this.loader = loader;
        this.models = models;
        this.telemetry = telemetry;
    }

    public boolean ready() {
        return loader.notReadyReason().isEmpty();
    }

    public String reason() {
        return loader.notReadyReason();
    }

    @Override
    public Health health() {
        // no host paths here: the health page is read by more than the operator (the paths are in the log)
        var health = ready() ? Health.up()
                : Health.outOfService().withDetail("reason", reason()).withDetail("code", loader.notReadyCode());
        if (backend.choice() instanceof ComputeBackend.Choice.Usable usable) {
            health.withDetail("device", usable.device());
        }
        health.withDetail("gpus", telemetry.gpus());
        health.withDetail("models", models.all().stream().map(e -> e.engine().modelId()).toList());
        return health.build();
    }
}
