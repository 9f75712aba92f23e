package dev.llmplatform.worker.core.infra;

import dev.llmplatform.worker.core.domain.GenerationEngine;
import dev.llmplatform.worker.core.domain.GenerationOutcome;
import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.engine.ContinuousBatchingEngine;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/** The worker metrics of the platform's contract (docs/metrics.md), the same on every device. */
public class WorkerMetrics {

    private final MeterRegistry meters;
    private final LoadedModels models;
    private final DistributionSummary batchSize;
    private final Set<String> modelsWithGauges = ConcurrentHashMap.newKeySet();

    public WorkerMetrics(MeterRegistry meters, LoadedModels models) {
        this.meters = meters;
        this.models = models;
        this.batchSize = DistributionSummary.builder("worker.batch.size")
                .description("sequences in one decode step").publishPercentileHistogram().register(meters);
    }

    /** Feeds worker.batch.size from every decode step of an engine. */
    public ContinuousBatchingEngine.StepListener stepListener() {
        return (sequences, prefillTokens, decodeTokens, nanos) -> batchSize.record(sequences);
    }

    /** Gauges of one model, registered once; they read 0 while the model is not loaded. */
    public void modelLoaded(String modelId, String variant, Duration took) {
        Timer.builder("worker.model.load").tags("model", modelId, "variant", variant).publishPercentileHistogram()
                .register(meters).record(took);
        if (modelsWithGauges.add(modelId)) {
            gauge("worker.sequences.running", modelId, GenerationEngine.EngineLoad::running);
            gauge("worker.sequences.waiting", modelId, GenerationEngine.EngineLoad::waiting);
            gauge("worker.kv.cache.usage", modelId, GenerationEngine.EngineLoad::kvCacheUsage);
            gauge("worker.decode.tokens.per.second", modelId, GenerationEngine.EngineLoad::decodeTokensPerSecond);
            gauge("worker.prefill.tokens.per.second", modelId, GenerationEngine.EngineLoad::prefillTokensPerSecond);
            engineFigure("worker.prompt.cache.bytes", modelId, GenerationEngine::promptCacheBytes);
            FunctionCounter.builder("worker.prompt.tokens.reused", models, m -> engineFigure(m, modelId, GenerationEngine::reusedPromptTokens))
                    .description("prompt tokens found cached (on a sequence id or in host memory) instead of prefilled")
                    .tag("model", modelId).register(meters);
            FunctionCounter.builder("worker.prompt.tokens.restored", models, m -> engineFigure(m, modelId, GenerationEngine::restoredPromptTokens))
                    .description("of those, prompt tokens copied back from the host-memory prompt cache")
                    .tag("model", modelId).register(meters);
        }
    }

    private void engineFigure(String name, String modelId, java.util.function.ToLongFunction<GenerationEngine> value) {
        Gauge.builder(name, models, m -> engineFigure(m, modelId, value)).tag("model", modelId).register(meters);
    }

    private static double engineFigure(LoadedModels models, String modelId, java.util.function.ToLongFunction<GenerationEngine> value) {
        return models.get(modelId).map(e -> (double) value.applyAsLong(e.engine())).orElse(0.0);
    }

    private void gauge(String name, String modelId, ToDoubleFunction<GenerationEngine.EngineLoad> value) {
        Gauge.builder(name, models, m -> m.get(modelId).map(e -> value.applyAsDouble(e.engine().load())).orElse(0.0))
                .tag("model", modelId).register(meters);
    }

    public void generationEnded(String modelId, GenerationOutcome outcome) {
        String name = switch (outcome) {
            case GenerationOutcome.Stopped stopped -> "stop";
            case GenerationOutcome.LengthReached length -> "length";
            case GenerationOutcome.Cancelled cancelled -> "cancelled";
            case GenerationOutcome.Failed failed -> "failed";
        };
        meters.counter("worker.generations", "model", modelId, "outcome", name).increment();
        meters.counter("worker.generated.tokens", "model", modelId).increment(outcome.completionTokens());
    }
}
