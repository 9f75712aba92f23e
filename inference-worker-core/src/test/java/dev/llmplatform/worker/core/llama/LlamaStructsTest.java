package dev.llmplatform.worker.core.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-written struct layouts against llama.h of the exact llama.cpp release the worker loads: gcc compiles a
 * program that prints every struct's sizeof and each field's offsetof, and the layouts must agree with all of them.
 * Skipped where there is no C compiler.
 */
class LlamaStructsTest {

    static final Path INCLUDE = Path.of(System.getProperty("llama.include.dir", "../tools/gpu/llama-include"));

    static final Map<StructLayout, String> STRUCTS = Map.of(
            LlamaStructs.MODEL_PARAMS, "struct llama_model_params",
            LlamaStructs.CONTEXT_PARAMS, "struct llama_context_params",
            LlamaStructs.BATCH, "struct llama_batch",
            LlamaStructs.SAMPLER_CHAIN_PARAMS, "struct llama_sampler_chain_params",
            LlamaStructs.QUANTIZE_PARAMS, "struct llama_model_quantize_params");

    static Map<String, Long> measured;

    @BeforeAll
    static void compileAndRun(@TempDir Path dir) throws IOException, InterruptedException {
        assumeTrue(run(dir, "gcc", "--version") != null, "no gcc on this machine");
        var program = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include \"llama.h\"\nint main(void) {\n");
        STRUCTS.forEach((layout, type) -> {
            program.append("printf(\"%s=%zu\\n\", \"").append(type).append("\", sizeof(").append(type).append("));\n");
            for (MemoryLayout field : layout.memberLayouts()) {
                field.name().ifPresent(name -> program.append("printf(\"%s=%zu\\n\", \"").append(type).append('.').append(name)
                        .append("\", offsetof(").append(type).append(", ").append(name).append("));\n"));
            }
        });
        program.append("return 0;\n}\n");
        Path source = Files.writeString(dir.resolve("layouts.c"), program);
        String compiled = run(dir, "gcc", "-I", INCLUDE.toAbsolutePath().toString(), "-o", dir.resolve("layouts").toString(), source.toString());
        assertThat(compiled).as("gcc output").isNotNull();
        String output = run(dir, dir.resolve("layouts").toString());
        measured = new LinkedHashMap<>();
        for (String line : output.strip().split("\\R")) {
            String[] kv = line.split("=");
            measured.put(kv[0], Long.parseLong(kv[1]));
        }
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            return null;
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    @Test
    void everyStructHasTheSizeOfItsCDeclaration() {
        STRUCTS.forEach((layout, type) -> assertThat(layout.byteSize()).as("sizeof(%s)", type).isEqualTo(measured.get(type)));
    }

    @Test
    void everyNamedFieldSitsAtItsCOffset() {
        STRUCTS.forEach((layout, type) -> {
            for (MemoryLayout field : layout.memberLayouts()) {
                field.name().ifPresent(name -> assertThat(LlamaStructs.offset(layout, name))
                        .as("offsetof(%s, %s)", type, name).isEqualTo(measured.get(type + "." + name)));
            }
        });
    }

    @Test
    void theLayoutsNameEveryFieldOfTheHeader() {
        // a field added to the header would shift offsets; the counts catch one that the sizes might not
        assertThat(named(LlamaStructs.MODEL_PARAMS)).isEqualTo(17);
        assertThat(named(LlamaStructs.CONTEXT_PARAMS)).isEqualTo(37);
        assertThat(named(LlamaStructs.BATCH)).isEqualTo(7);
        assertThat(named(LlamaStructs.QUANTIZE_PARAMS)).isEqualTo(15);
    }

    private static long named(StructLayout layout) {
        return layout.memberLayouts().stream().filter(m -> m.name().isPresent()).count();
    }
}
