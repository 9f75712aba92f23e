package dev.llmplatform.registry.api;

import dev.llmplatform.registry.domain.ModelVersion;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.Variant;
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
                       long sizeBytes, String tokenizerUri, int contextLength, String licence, boolean hasChatTemplate) {
        static VariantView of(Variant v) {
            return new VariantView(v.variantId(), v.format().name(), v.quantization(), v.deviceClass().name().toLowerCase(),
                    v.uri(), v.sha256(), v.sizeBytes(), v.tokenizerUri(), v.contextLength(), v.licence(), !v.chatTemplate().isBlank());
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
