package dev.llmplatform.worker.core.infra;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.worker.core.config.WorkerProperties;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which of a production version's GGUF variants for this worker's device class it serves: the one an operator
 * pinned, else the best-quality variant that fits the memory budget and meets the decode-speed target. Quality is
 * closeness to the unquantized reference as the registry measured it (KL divergence from the F16, lower is better;
 * the reference itself is 0), and where a variant is not measured yet, the bits of its quantization type. Speed is
 * the decode tokens/s measured on this device class. When no fitting variant is fast enough, the fastest one that
 * fits is served; when none fits, the smallest.
 *
 * @param deviceClass the class whose measurements count for speed (a GPU worker's speed is not a CPU's)
 */
record VariantPolicy(WorkerProperties.VariantChoice settings, DeviceClass deviceClass, long memoryBudgetBytes) {

    /** The choice, and why, for the log. */
    record Choice(ModelArtifact artifact, String reason) {
    }

    Optional<Choice> choose(String modelId, List<ModelArtifact> variants) {
        if (variants.isEmpty()) {
            return Optional.empty();
        }
        String pinned = settings.pinned().get(modelId);
        if (pinned != null) {
            Optional<ModelArtifact> pin = variants.stream().filter(v -> v.getVariantId().equals(pinned)).findFirst();
            if (pin.isPresent()) {
                return Optional.of(new Choice(pin.get(), "pinned by worker.variant-choice.pinned"));
            }
        }
        List<ModelArtifact> fitting = variants.stream().filter(v -> memoryOf(v) <= memoryBudgetBytes).toList();
        if (fitting.isEmpty()) {
            ModelArtifact smallest = variants.stream().min(Comparator.comparingLong(VariantPolicy::memoryOf)).orElseThrow();
            return Optional.of(new Choice(smallest, "none fits the memory budget of " + memoryBudgetBytes + " bytes; the smallest"));
        }
        double target = settings.minDecodeTokensPerSecond();
        List<ModelArtifact> fastEnough = target <= 0 ? fitting
                : fitting.stream().filter(v -> speedOf(v).orElse(0.0) >= target).toList();
        if (fastEnough.isEmpty()) {
            ModelArtifact fastest = fitting.stream().filter(v -> speedOf(v).isPresent())
                    .max(Comparator.comparingDouble(v -> speedOf(v).orElseThrow()))
                    .orElse(fitting.stream().min(Comparator.comparingLong(VariantPolicy::memoryOf)).orElseThrow());
            return Optional.of(new Choice(fastest, "none that fits decodes at " + target + " tokens/s; the fastest that fits"));
        }
        ModelArtifact best = fastEnough.stream().min(byQuality(fastEnough)).orElseThrow();
        return Optional.of(new Choice(best, target > 0
                ? "the best quality that fits and decodes at " + target + " tokens/s"
                : "the best quality that fits"));
    }

    /** Measured on this device class, else unknown. */
    private Optional<Double> speedOf(ModelArtifact variant) {
        return variant.hasMeasurements() && variant.getMeasurements().getDeviceClass() == deviceClass
                && variant.getMeasurements().getDecodeTokensPerSecond() > 0
                ? Optional.of(variant.getMeasurements().getDecodeTokensPerSecond()) : Optional.empty();
    }

    static long memoryOf(ModelArtifact variant) {
        return variant.hasMeasurements() && variant.getMeasurements().getMemoryBytes() > 0
                ? variant.getMeasurements().getMemoryBytes() : variant.getSizeBytes();
    }

    /**
     * Best first: an unquantized variant (the reference, nothing lost); then, when every candidate is measured, the
     * lower KL divergence from the reference, else the more bits per weight (a measured and an unmeasured loss are
     * not comparable); then the smaller, then by id.
     */
    static Comparator<ModelArtifact> byQuality(List<ModelArtifact> candidates) {
        boolean allMeasured = candidates.stream().allMatch(v -> isReference(v)
                || v.hasMeasurements() && v.getMeasurements().hasKlDivergence());
        Comparator<ModelArtifact> loss = allMeasured
                ? Comparator.comparingDouble(v -> isReference(v) ? 0 : v.getMeasurements().getKlDivergence())
                : Comparator.comparingDouble(v -> -bitsPerWeight(typeOf(v)));
        return Comparator.comparing((ModelArtifact v) -> !isReference(v)).thenComparing(loss)
                .thenComparingLong(VariantPolicy::memoryOf).thenComparing(ModelArtifact::getVariantId);
    }

    private static boolean isReference(ModelArtifact variant) {
        return bitsPerWeight(typeOf(variant)) >= 16;
    }

    private static String typeOf(ModelArtifact variant) {
        return variant.getQuantization().isBlank() ? variant.getVariantId() : variant.getQuantization();
    }

    /** Bits per weight of a llama.cpp type named in a quantization or variant id (f16, q8_0, q4_k_m, ...). */
    static double bitsPerWeight(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.contains("f32") || n.contains("fp32")) {
            return 32;
        }
        if (n.contains("f16") && !n.matches(".*q\\d.*") || n.contains("bf16") && !n.matches(".*q\\d.*")) {
            return 16;
        }
        var m = java.util.regex.Pattern.compile("(?:i?q)(\\d)").matcher(n);
        int bits = 0;
        while (m.find()) {
            bits = Integer.parseInt(m.group(1));
        }
        return bits > 0 ? bits : 16;
    }
}
