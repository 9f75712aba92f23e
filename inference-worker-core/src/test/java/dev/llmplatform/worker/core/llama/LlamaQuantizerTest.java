package dev.llmplatform.worker.core.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.commons.gguf.GgufMetadata;
import dev.llmplatform.worker.core.infra.CpuBuild;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama.cpp's quantizer through the binding, on the default model (F16, 14 MB): Q8_0 and Q4_K_M come out smaller,
 * load, generate, and lose quality in the expected order on text the model was not trained on.
 */
class LlamaQuantizerTest {

    static final Path HELD_OUT = CpuBuild.GGUF.resolveSibling("heldout.txt");
    /**
     * How much a perplexity may exceed the next coarser type's before the ordering counts as broken: quantization
     * noise can make a finer type a hair worse on a few KB of text, and 2% is far below the gap we measure between
     * F16 and Q4_K_M.
     */
    static final double TOLERANCE = 1.02;

    @TempDir
    static Path dir;
    static LlamaLibrary library;
    static final Map<QuantizationType, Path> files = new EnumMap<>(QuantizationType.class);
    static final Map<QuantizationType, Double> progress = new EnumMap<>(QuantizationType.class);

    @BeforeAll
    static void quantize() {
        library = CpuBuild.library();
        var quantizer = new LlamaQuantizer(library);
        files.put(QuantizationType.F16, CpuBuild.GGUF);
        for (QuantizationType type : new QuantizationType[] {QuantizationType.Q8_0, QuantizationType.Q4_K_M}) {
            Path out = dir.resolve("tiny-kjv-chat-" + type.label() + ".gguf");
            quantizer.quantize(CpuBuild.GGUF, out, type, 2, fraction -> progress.merge(type, fraction, Math::max));
            files.put(type, out);
        }
    }

    @Test
    void defaultParametersAreWhatTheBinaryWrites() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = new LlamaQuantizer(library).defaults(arena);
            assertThat(params.get(JAVA_INT, LlamaStructs.offset(LlamaStructs.QUANTIZE_PARAMS, "ftype"))).isEqualTo(QuantizationType.Q8_0.ftype);
            assertThat(params.get(JAVA_INT, LlamaStructs.offset(LlamaStructs.QUANTIZE_PARAMS, "output_tensor_type"))).isEqualTo(43);
            assertThat(params.get(JAVA_BOOLEAN, LlamaStructs.offset(LlamaStructs.QUANTIZE_PARAMS, "quantize_output_tensor"))).isTrue();
            assertThat(params.get(ADDRESS, LlamaStructs.offset(LlamaStructs.QUANTIZE_PARAMS, "prune_layers"))).isEqualTo(MemorySegment.NULL);
            assertThat(params.get(JAVA_LONG, LlamaStructs.offset(LlamaStructs.QUANTIZE_PARAMS, "max_buf_size"))).isEqualTo(8L << 30);
        }
    }

    @Test
    void progressFollowsTheTensorsLlamaCppConverts() {
        assertThat(progress).containsEntry(QuantizationType.Q8_0, 1.0).containsEntry(QuantizationType.Q4_K_M, 1.0);
    }

    @Test
    void quantizedFilesAreSmallerAndRecordTheirType() throws Exception {
        long f16 = Files.size(CpuBuild.GGUF);
        long q8 = Files.size(files.get(QuantizationType.Q8_0));
        long q4 = Files.size(files.get(QuantizationType.Q4_K_M));
        assertThat(q8).isLessThan(f16 * 6 / 10);
        assertThat(q4).isLessThan(q8);
        assertThat(GgufMetadata.read(files.get(QuantizationType.Q8_0)).integer("general.file_type")).contains(7L);
        assertThat(GgufMetadata.read(files.get(QuantizationType.Q4_K_M)).integer("general.file_type")).contains(15L);
    }

    @Test
    void everyVariantLoadsAndGenerates() {
        for (var file : files.values()) {
            try (var context = new LlamaContext(library, file, new LlamaContext.Settings(0, 1, 256, 64, 1));
                 var batch = context.newBatch(64)) {
                int[] prompt = context.tokenize("In the beginning");
                for (int i = 0; i < prompt.length; i++) {
                    batch.add(prompt[i], i, 0, i == prompt.length - 1);
                }
                assertThat(context.decode(batch)).isZero();
                int next = VariantEvaluation.argmax(context.logits(prompt.length - 1));
                assertThat(new String(context.piece(next), java.nio.charset.StandardCharsets.UTF_8)).as(file.toString()).isNotEmpty();
            }
        }
    }

    @Test
    void qualityFallsInTheOrderF16Q8Q4WithinTolerance() throws Exception {
        String text = Files.readString(HELD_OUT);
        var evaluation = new VariantEvaluation(library, new VariantEvaluation.Settings(256, 32, 1, 0));
        var f16 = evaluation.evaluate(files.get(QuantizationType.F16), Optional.empty(), text);
        var q8 = evaluation.evaluate(files.get(QuantizationType.Q8_0), Optional.of(CpuBuild.GGUF), text);
        var q4 = evaluation.evaluate(files.get(QuantizationType.Q4_K_M), Optional.of(CpuBuild.GGUF), text);
        System.out.printf("perplexity F16 %.3f Q8_0 %.3f Q4_K_M %.3f; top-1 Q8_0 %.4f Q4_K_M %.4f; KL Q8_0 %.5f Q4_K_M %.5f;"
                        + " decode tok/s F16 %.0f Q8_0 %.0f Q4_K_M %.0f; bytes %d %d %d; scored %d%n",
                f16.perplexity(), q8.perplexity(), q4.perplexity(), q8.top1Agreement().orElseThrow(), q4.top1Agreement().orElseThrow(),
                q8.klDivergence().orElseThrow(), q4.klDivergence().orElseThrow(), f16.decodeTokensPerSecond(),
                q8.decodeTokensPerSecond(), q4.decodeTokensPerSecond(), f16.memoryBytes(), q8.memoryBytes(), q4.memoryBytes(),
                f16.scoredTokens());

        assertThat(f16.perplexity()).isGreaterThan(1).isLessThanOrEqualTo(q8.perplexity() * TOLERANCE);
        assertThat(q8.perplexity()).isLessThanOrEqualTo(q4.perplexity() * TOLERANCE);
        assertThat(q8.top1Agreement().orElseThrow()).isGreaterThanOrEqualTo(q4.top1Agreement().orElseThrow()).isGreaterThan(0.9);
        assertThat(q8.klDivergence().orElseThrow()).isLessThan(q4.klDivergence().orElseThrow());
        assertThat(q4.memoryBytes()).isLessThan(q8.memoryBytes());
        assertThat(q8.memoryBytes()).isLessThan(f16.memoryBytes());
        assertThat(f16.decodeTokensPerSecond()).isPositive();
        assertThat(f16.scoredTokens()).isGreaterThan(200);
    }

    @Test
    void aQuantizedFileIsNotASource() {
        assertThatThrownBy(() -> new LlamaQuantizer(library).quantize(CpuBuild.GGUF, dir.resolve("x.gguf"), QuantizationType.F16, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(QuantizationType.parse("q4_k_m")).contains(QuantizationType.Q4_K_M);
        assertThat(QuantizationType.parse("Q9_9")).isEmpty();
    }
}
