package dev.llmplatform.registry.api;

import dev.llmplatform.registry.domain.ModelVersion;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.QuantizeJob;
import dev.llmplatform.registry.domain.Variant;
import dev.llmplatform.registry.domain.VariantMeasurements;
import java.time.Instant;
import java.util.List;

/** The JSON shapes of the admin REST API (snake_case on the wire). */
final class AdminViews {

    private AdminViews() {
    }

    record RegisterModelBody(String id, String ownedBy, String description, String task) {
    }

    record RegisterVersionBody(String version, String description) {
    }

    record SetStageBody(String stage) {
    }

    record ModelView(String id, String ownedBy, String description, String task, Instant createdAt,
                     String productionVersion, List<VersionView> versions) {
        static ModelView of(RegisteredModel m) {
            return new ModelView(m.id(), m.ownedBy(), m.description(), m.task().label(), m.createdAt(),
                    m.productionVersion().orElse(null), m.versions().stream().map(VersionView::of).toList());
        }
    }

    record VersionView(String modelId, String version, String stage, String description, Instant createdAt,
                       Instant stageChangedAt, List<VariantView> variants) {
        static VersionView of(ModelVersion v) {
            return new VersionView(v.modelId(), v.version(), v.stage().label(), v.description(), v.createdAt(),
                    v.stageChangedAt(), v.variants().stream().map(VariantView::of).toList());
        }
    }

    record VariantView(String variantId, String format, String quantization, String deviceClass, String uri, String sha256,
                       long sizeBytes, String tokenizerUri, int contextLength, String licence, boolean hasChatTemplate,
                       MeasurementsView measurements) {
        static VariantView of(Variant v) {
            return new VariantView(v.variantId(), v.format().name(), v.quantization(), v.deviceClass().name().toLowerCase(),
                    v.uri(), v.sha256(), v.sizeBytes(), v.tokenizerUri(), v.contextLength(), v.licence(), !v.chatTemplate().isBlank(),
                    v.measurements().map(MeasurementsView::of).orElse(null));
        }
    }

    /** A variant's measurements; null fields were not measured (no reference to compare with). */
    record MeasurementsView(double perplexity, int scoredTokens, String text, String referenceVariantId, Double top1Agreement,
                            Double klDivergence, double decodeTokensPerSecond, long memoryBytes, String deviceClass, String device,
                            Instant measuredAt) {
        static MeasurementsView of(VariantMeasurements m) {
            return new MeasurementsView(m.perplexity(), m.scoredTokens(), m.textName(),
                    m.referenceVariantId().isEmpty() ? null : m.referenceVariantId(), m.top1Agreement().orElse(null),
                    m.klDivergence().orElse(null), m.decodeTokensPerSecond(), m.memoryBytes(), m.deviceClass().name().toLowerCase(),
                    m.device(), m.measuredAt());
        }
    }

    /** The quantize action's body: the llama.cpp type to make (Q8_0, Q4_K_M, Q5_K_M, Q6_K, ...). */
    record QuantizeBody(String type) {
    }

    /**
     * A quantize job. {@code state}: queued, running, succeeded, failed; {@code stage}: queued, verifying, quantizing,
     * sending, storing, measuring, done, failed; {@code progress} 0..1.
     */
    record JobView(String id, String modelId, String version, String sourceVariantId, String type, String variantId,
                   String state, String stage, double progress, String message, Instant createdAt, Instant updatedAt) {
        static JobView of(QuantizeJob j) {
            return new JobView(j.id(), j.modelId(), j.version(), j.sourceVariant(), j.targetType(), j.targetVariant(),
                    j.state().name().toLowerCase(), j.stage(), j.progress(), j.message(), j.createdAt(), j.updatedAt());
        }
    }

    /** The OpenAI API's error shape: {"error": {"message", "type", "param", "code"}}. */
    record ErrorBody(Error error) {
        record Error(String message, String type, String param, String code) {
        }

        static ErrorBody of(int status, String message, String param, String code) {
            return new ErrorBody(new Error(message, status >= 500 ? "server_error" : "invalid_request_error", param, code));
        }
    }
}
