package dev.llmplatform.registry.infra.quantize;

import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.Variant;
import dev.llmplatform.registry.domain.VariantMeasurements;
import dev.llmplatform.registry.infra.ModelChangeFeed;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Each variant's measurements as gauges, tagged model, version, variant and quantization, so that dashboards compare
 * variants: registry_variant_perplexity, registry_variant_top1_agreement, registry_variant_kl_divergence,
 * registry_variant_decode_tokens_per_second, registry_variant_memory_bytes, and registry_variant_size_bytes (every
 * variant, measured or not). Follows the registry's own change feed, so a deleted variant's series go away.
 */
public class VariantMetrics implements AutoCloseable {

    private final Map<String, RegisteredModel> models = new ConcurrentHashMap<>();
    private final Map<String, Function<Variant, Optional<Double>>> values = Map.of(
            "registry.variant.perplexity", v -> v.measurements().map(VariantMeasurements::perplexity),
            "registry.variant.top1.agreement", v -> v.measurements().flatMap(VariantMeasurements::top1Agreement),
            "registry.variant.kl.divergence", v -> v.measurements().flatMap(VariantMeasurements::klDivergence),
            "registry.variant.decode.tokens.per.second", v -> v.measurements().map(VariantMeasurements::decodeTokensPerSecond),
            "registry.variant.memory.bytes", v -> v.measurements().map(m -> (double) m.memoryBytes()),
            "registry.variant.size.bytes", v -> Optional.of((double) v.sizeBytes()));
    private final Map<String, MultiGauge> gauges = new ConcurrentHashMap<>();
    private final ModelChangeFeed feed;
    private volatile ModelChangeFeed.Subscription subscription;

    public VariantMetrics(MeterRegistry meters, ModelChangeFeed feed) {
        this.feed = feed;
        values.keySet().forEach(name -> gauges.put(name, MultiGauge.builder(name)
                .description("Per model variant, as measured by a worker when the variant was registered").register(meters)));
    }

    public void start() {
        subscription = feed.subscribe(event -> {
            event.model().ifPresentOrElse(model -> models.put(model.id(), model), () -> models.remove(event.modelId()));
            refresh();
        });
    }

    private synchronized void refresh() {
        values.forEach((name, value) -> {
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            for (RegisteredModel model : models.values()) {
                for (var version : model.versions()) {
                    for (Variant variant : version.variants()) {
                        value.apply(variant).ifPresent(number -> rows.add(MultiGauge.Row.of(Tags.of("model", model.id(),
                                "version", version.version(), "variant", variant.variantId(), "quantization", variant.quantization()),
                                number)));
                    }
                }
            }
            gauges.get(name).register(rows, true);
        });
    }

    @Override
    public void close() {
        if (subscription != null) {
            subscription.close();
        }
    }
}
