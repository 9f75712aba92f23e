package dev.llmplatform.bench.engine;

import dev.llmplatform.worker.core.domain.GenerationOutcome;
import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.engine.ContinuousBatchingEngine;
import dev.llmplatform.worker.core.llama.LlamaContext;
import dev.llmplatform.worker.core.llama.LlamaLibrary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decode throughput of the GPU worker's engine (the same ContinuousBatchingEngine the service runs) at 1 and 8
 * concurrent greedy sequences, all layers offloaded. Prints one line per batch size: generated tokens of all
 * sequences together per second of wall time, best of {@code repeats}, after a warm-up. Usage (see
 * docs/benchmarks.md, "GPU worker"):
 * <pre>java --enable-native-access=ALL-UNNAMED -Dloader.main=dev.llmplatform.worker.core.bench.DecodeBench \
 *   -cp inference-gpu-service-exec.jar org.springframework.boot.loader.launch.PropertiesLauncher \
 *   NATIVE_DIR MODEL.gguf [tokens-per-sequence] [repeats] [cpu-threads] [prompt]</pre>
 * cpu-threads 0 lets llama.cpp choose (right on the GPU machine); on a small shared CPU-only machine give 1.
 */
public final class DecodeBench {

    private DecodeBench() {
    }

    public static void main(String[] args) throws Exception {
        Path natives = Path.of(args[0]);
        Path gguf = Path.of(args[1]);
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        String promptText = args.length > 5 ? args[5] : "And God said";
        LlamaLibrary library = LlamaLibrary.load(natives);
        System.out.printf("devices=%s%n", library.devices());
        for (int batch : new int[] {1, 2, 4, 8}) {
            var context = new LlamaContext(library, gguf, new LlamaContext.Settings(-1, batch, tokens + 64, 512, threads));
            int[] prompt = context.tokenize(promptText);
            var inDecode = new AtomicLong();
            var engine = new ContinuousBatchingEngine("bench", context, batch, 512, (s, p, d, n) -> inDecode.addAndGet(n));
            try {
                run(engine, prompt, batch, tokens); // warm-up: CUDA graphs, kernels, allocations, the JIT
                double best = 0;
                double decodeShare = 0;
                int generated = 0;
                for (int r = 0; r < repeats; r++) {
                    inDecode.set(0);
                    long started = System.nanoTime();
                    generated = run(engine, prompt, batch, tokens);
                    long wall = System.nanoTime() - started;
                    if (generated * 1e9 / wall > best) {
                        best = generated * 1e9 / wall;
                        decodeShare = (double) inDecode.get() / wall;
                    }
                }
                // llama_decode's share of the wall time: the rest is the engine's own per-step work (batch building,
                // sampling, detokenization, callbacks)
                System.out.printf("batch=%d prompt_tokens=%d generated_tokens=%d decode_tokens_per_second=%.1f in_llama_decode=%.3f%n",
                        batch, prompt.length, generated, best, decodeShare);
            } finally {
                engine.close();
            }
        }
    }

    /** Runs {@code batch} greedy sequences together; returns the tokens they generated in all. */
    private static int run(ContinuousBatchingEngine engine, int[] prompt, int batch, int tokens) throws Exception {
        List<CompletableFuture<GenerationOutcome>> sequences = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            sequences.add(engine.submit(GenerationRequest.greedy("bench-" + i, prompt, tokens), (text, n) -> { }, () -> false));
        }
        int generated = 0;
        for (var sequence : sequences) {
            GenerationOutcome outcome = sequence.get(10, TimeUnit.MINUTES);
            if (outcome instanceof GenerationOutcome.Failed failed) {
                throw new IllegalStateException(failed.reason());
            }
            generated += outcome.completionTokens();
        }
        return generated;
    }
}
