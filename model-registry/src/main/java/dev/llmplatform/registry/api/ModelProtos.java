package dev.llmplatform.registry.api;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.proto.v1.VariantMeasurements;
import dev.llmplatform.proto.v1.VersionStage;
import dev.llmplatform.registry.domain.ModelChange;
import dev.llmplatform.registry.domain.ModelVersion;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.Stage;
import dev.llmplatform.registry.domain.Variant;
import dev.llmplatform.registry.infra.ModelChangeFeed;

/** The registry's domain as protobuf messages. */
final class ModelProtos {

    private ModelProtos() {
    }

    static Model model(RegisteredModel m) {
        var model = Model.newBuilder()
                .setId(m.id())
                .setOwnedBy(m.ownedBy())
                .setCreatedEpochSeconds(m.createdAt().getEpochSecond())
                .setDescription(m.description())
                .setTask(m.task().label())
                .setProductionVersion(m.productionVersion().orElse(""));
        m.production().ifPresent(production -> production.variants().forEach(v -> model.addArtifacts(artifact(production, v))));
        m.productionVariants().stream().findFirst().ifPresent(first -> model
                .setLicence(first.licence())
                .setContextLength(first.contextLength())
                .setChatTemplate(first.chatTemplate()));
        m.versions().forEach(v -> model.addVersions(version(v)));
        return model.build();
    }

    static dev.llmplatform.proto.v1.ModelVersion version(ModelVersion v) {
        var version = dev.llmplatform.proto.v1.ModelVersion.newBuilder()
                .setModelId(v.modelId())
                .setVersion(v.version())
                .setStage(stage(v.stage()))
                .setDescription(v.description())
                .setCreatedEpochSeconds(v.createdAt().getEpochSecond())
                .setStageChangedEpochSeconds(v.stageChangedAt().getEpochSecond());
        v.variants().forEach(variant -> version.addVariants(artifact(v, variant)));
        return version.build();
    }

    static ModelArtifact artifact(ModelVersion version, Variant a) {
        var artifact = ModelArtifact.newBuilder()
                .setVariantId(a.variantId())
                .setFormat(a.format().name())
                .setQuantization(a.quantization())
                .setDeviceClass(deviceClass(a.deviceClass()))
                .setUri(a.uri())
                .setSha256(a.sha256())
                .setSizeBytes(a.sizeBytes())
                .setTokenizerUri(a.tokenizerUri())
                .setContextLength(a.contextLength())
                .setChatTemplate(a.chatTemplate())
                .setLicence(a.licence())
                .setVersion(version.version())
                .setVersionCreatedEpochSeconds(version.createdAt().getEpochSecond());
        a.measurements().ifPresent(m -> artifact.setMeasurements(measurements(m)));
        return artifact.build();
    }

    static VariantMeasurements measurements(dev.llmplatform.registry.domain.VariantMeasurements m) {
        var measured = VariantMeasurements.newBuilder()
                .setPerplexity(m.perplexity())
                .setScoredTokens(m.scoredTokens())
                .setTextName(m.textName())
                .setReferenceVariantId(m.referenceVariantId())
                .setDecodeTokensPerSecond(m.decodeTokensPerSecond())
                .setMemoryBytes(m.memoryBytes())
                .setDeviceClass(deviceClass(m.deviceClass()))
                .setDevice(m.device())
                .setMeasuredEpochSeconds(m.measuredAt().getEpochSecond());
        m.top1Agreement().ifPresent(measured::setTop1Agreement);
        m.klDivergence().ifPresent(measured::setKlDivergence);
        return measured.build();
    }

    static ModelEvent event(ModelChangeFeed.Event e) {
        var event = ModelEvent.newBuilder()
                .setRevision(e.revision())
                .setModelId(e.modelId())
                .setKind(e.kind().map(ModelProtos::kind).orElse(ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT))
                .setVersion(e.version());
        e.model().ifPresent(m -> event.setModel(model(m)));
        return event.build();
    }

    static DeviceClass deviceClass(dev.llmplatform.registry.domain.DeviceClass d) {
        return switch (d) {
            case CPU -> DeviceClass.DEVICE_CLASS_CPU;
            case GPU -> DeviceClass.DEVICE_CLASS_GPU;
        };
    }

    static VersionStage stage(Stage s) {
        return switch (s) {
            case REGISTERED -> VersionStage.VERSION_STAGE_REGISTERED;
            case STAGING -> VersionStage.VERSION_STAGE_STAGING;
            case PRODUCTION -> VersionStage.VERSION_STAGE_PRODUCTION;
            case ARCHIVED -> VersionStage.VERSION_STAGE_ARCHIVED;
        };
    }

    static ModelChangeKind kind(ModelChange.Kind k) {
        return switch (k) {
            case REGISTERED -> ModelChangeKind.MODEL_CHANGE_KIND_REGISTERED;
            case VERSION_REGISTERED -> ModelChangeKind.MODEL_CHANGE_KIND_VERSION_REGISTERED;
            case VARIANT_ADDED -> ModelChangeKind.MODEL_CHANGE_KIND_VARIANT_ADDED;
            case STAGE_CHANGED -> ModelChangeKind.MODEL_CHANGE_KIND_STAGE_CHANGED;
            case PROMOTED -> ModelChangeKind.MODEL_CHANGE_KIND_PROMOTED;
            case DELETED -> ModelChangeKind.MODEL_CHANGE_KIND_DELETED;
            case VARIANT_MEASURED -> ModelChangeKind.MODEL_CHANGE_KIND_VARIANT_MEASURED;
        };
    }
}
