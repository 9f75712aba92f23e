package dev.llmplatform.worker.core.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.VariantMeasurements;
import dev.llmplatform.worker.core.config.WorkerProperties;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

class VariantPolicyTest {

    private static final long GB = 1L << 30;

    private final ModelArtifact f16 = variant("cpu-f16", "f16", 14 * GB, null, 10);
    private final ModelArtifact q8 = variant("cpu-f16-q8_0", "q8_0", 7 * GB, 0.00007, 18);
    private final ModelArtifact q4 = variant("cpu-f16-q4_k_m", "q4_k_m", 4 * GB, 0.0012, 30);
    private final List<ModelArtifact> all = List.of(q4, f16, q8);

    @Test
    void withoutATargetTheUnquantizedReferenceIsServedWhenItFits() {
        assertThat(policy(Map.of(), 0, 64 * GB).choose("m", all)).get().extracting(c -> c.artifact().getVariantId())
                .isEqualTo("cpu-f16");
    }

    @Test
    void theBestQualityThatFitsTheMemoryBudget() {
        assertThat(policy(Map.of(), 0, 8 * GB).choose("m", all).orElseThrow().artifact()).isEqualTo(q8);
        assertThat(policy(Map.of(), 0, 5 * GB).choose("m", all).orElseThrow().artifact()).isEqualTo(q4);
    }

    @Test
    void theBestQualityThatMeetsTheSpeedTargetOnThisDevice() {
        assertThat(policy(Map.of(), 15, 64 * GB).choose("m", all).orElseThrow().artifact()).isEqualTo(q8);
        assertThat(policy(Map.of(), 25, 64 * GB).choose("m", all).orElseThrow().artifact()).isEqualTo(q4);
    }

    @Test
    void whenNoneIsFastEnoughTheFastestThatFitsAndWhenNoneFitsTheSmallest() {
        var choice = policy(Map.of(), 100, 64 * GB).choose("m", all).orElseThrow();
        assertThat(choice.artifact()).isEqualTo(q4);
        assertThat(choice.reason()).contains("fastest");
        assertThat(policy(Map.of(), 0, GB).choose("m", all).orElseThrow().artifact()).isEqualTo(q4);
    }

    @Test
    void speedsMeasuredOnAnotherDeviceClassDoNotCount() {
        var gpuMeasured = variant("gpu-q4", "q4_k_m", 4 * GB, 0.001, 500).toBuilder()
                .setMeasurements(VariantMeasurements.newBuilder().setDecodeTokensPerSecond(500).setKlDivergence(0.001)
                        .setDeviceClass(DeviceClass.DEVICE_CLASS_GPU)).build();
        var choice = policy(Map.of(), 100, 64 * GB).choose("m", List.of(f16, gpuMeasured)).orElseThrow();
        assertThat(choice.reason()).contains("fastest");
    }

    @Test
    void anOperatorsPinWins() {
        assertThat(policy(Map.of("m", "cpu-f16-q4_k_m"), 0, 64 * GB).choose("m", all).orElseThrow().artifact()).isEqualTo(q4);
        // a pin naming no variant of the version leaves the choice to the policy
        assertThat(policy(Map.of("m", "gone"), 0, 64 * GB).choose("m", all).orElseThrow().artifact()).isEqualTo(f16);
    }

    @Test
    void unmeasuredVariantsRankByBitsPerWeight() {
        var q8plain = variant("cpu-q8", "q8_0", 7 * GB, null, 0);
        var q4plain = variant("cpu-q4", "q4_k_m", 4 * GB, null, 0);
        assertThat(policy(Map.of(), 0, 64 * GB).choose("m", List.of(q4plain, q8plain)).orElseThrow().artifact()).isEqualTo(q8plain);
        assertThat(VariantPolicy.bitsPerWeight("cpu-f16-q4_k_m")).isEqualTo(4);
        assertThat(VariantPolicy.bitsPerWeight("fp16")).isEqualTo(16);
        assertThat(VariantPolicy.bitsPerWeight("cpu-f16")).isEqualTo(16);
    }

    private static VariantPolicy policy(Map<String, String> pinned, double target, long budget) {
        return new VariantPolicy(new WorkerProperties.VariantChoice(pinned, target, DataSize.ofBytes(budget)),
                DeviceClass.DEVICE_CLASS_CPU, budget);
    }

    private static ModelArtifact variant(String id, String quantization, long bytes, Double kl, double tokensPerSecond) {
        var b = ModelArtifact.newBuilder().setVariantId(id).setQuantization(quantization).setFormat("GGUF")
                .setDeviceClass(DeviceClass.DEVICE_CLASS_CPU).setSizeBytes(bytes);
        if (tokensPerSecond > 0) {
            var m = VariantMeasurements.newBuilder().setDecodeTokensPerSecond(tokensPerSecond).setDeviceClass(DeviceClass.DEVICE_CLASS_CPU)
                    .setMemoryBytes(bytes);
            if (kl != null) {
                m.setKlDivergence(kl);
            }
            b.setMeasurements(m);
        }
        return b.build();
    }
}
