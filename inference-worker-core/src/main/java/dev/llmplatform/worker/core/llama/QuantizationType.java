package dev.llmplatform.worker.core.llama;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The target types llama.cpp's quantizer makes (enum llama_ftype of llama.h, the names llama-quantize accepts), and
 * the unquantized types it starts from. Requantizing an already quantized file loses quality twice, so only
 * {@link #isSource() F32, F16 and BF16} files are quantized.
 */
public enum QuantizationType {
    F32(0), F16(1), Q4_0(2), Q4_1(3), Q8_0(7), Q5_0(8), Q5_1(9), Q2_K(10), Q3_K_S(11), Q3_K_M(12), Q3_K_L(13),
    Q4_K_S(14), Q4_K_M(15), Q5_K_S(16), Q5_K_M(17), Q6_K(18), IQ2_XXS(19), IQ2_XS(20), Q2_K_S(21), IQ3_XS(22),
    IQ3_XXS(23), IQ1_S(24), IQ4_NL(25), IQ3_S(26), IQ3_M(27), IQ2_S(28), IQ2_M(29), IQ4_XS(30), IQ1_M(31), BF16(32),
    TQ1_0(36), TQ2_0(37);

    /** The llama_ftype value. */
    public final int ftype;

    QuantizationType(int ftype) {
        this.ftype = ftype;
    }

    /** A name as llama-quantize spells it, in any case ("q4_k_m", "Q8_0"). */
    public static Optional<QuantizationType> parse(String name) {
        String upper = name == null ? "" : name.strip().toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(t -> t.name().equals(upper)).findFirst();
    }

    /** The type of a GGUF's general.file_type (a llama_ftype). */
    public static Optional<QuantizationType> ofFtype(long ftype) {
        return Arrays.stream(values()).filter(t -> t.ftype == ftype).findFirst();
    }

    /** Whether files of this type may be quantized: the unquantized ones. */
    public boolean isSource() {
        return this == F32 || this == F16 || this == BF16;
    }

    /**
     * Whether the quantizer makes this type without an importance matrix. llama.cpp refuses IQ1_*, IQ2_XXS/XS/S and
     * Q2_K_S without one, and the platform computes none.
     */
    public boolean needsNoImportanceMatrix() {
        return switch (this) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, Q2_K_S -> false;
            default -> true;
        };
    }

    /** What the registry records as a variant's quantization: the lower-case name ("q4_k_m"). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
