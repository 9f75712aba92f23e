package dev.llmplatform.bench.engine;

import dev.llmplatform.worker.core.llama.LlamaBatch;
import dev.llmplatform.worker.core.llama.LlamaContext;
import dev.llmplatform.worker.core.llama.LlamaLibrary;
import java.nio.file.Path;

/**
 * What a prompt chunk adds to a decode step: one llama_decode of 7 sequences decoding one token each (100 tokens of
 * context apiece) beside a chunk of {@code k} prompt tokens of an eighth, for k from 0 to 256, the engine's
 * LlamaContext as the worker builds it. Prints, per round, the best of 3 steps for each k. The engine sizes its
 * chunks from these costs (ContinuousBatchingEngine.steer). Usage (docs/benchmarks.md):
 * <pre>java --enable-native-access=ALL-UNNAMED -cp bench/target/classes:$(cat bench/target/classpath.txt) \
 *   dev.llmplatform.bench.engine.MixedStepBench NATIVE_DIR MODEL.gguf [threads] [rounds]</pre>
 */
public final class MixedStepBench {

    private static final int DECODING = 7;
    private static final int CONTEXT = 100;
    private static final int[] CHUNKS = {0, 1, 2, 4, 8, 16, 32, 64, 128, 256};

    private MixedStepBench() {
    }

    public static void main(String[] args) {
        LlamaLibrary library = LlamaLibrary.load(Path.of(args[0]));
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        try (var context = new LlamaContext(library, Path.of(args[1]), new LlamaContext.Settings(-1, DECODING + 1, 1024, 512, threads));
             var batch = context.newBatch(512)) {
            for (int s = 0; s < DECODING; s++) {
                batch.clear();
                for (int i = 0; i < CONTEXT; i++) {
                    batch.add(100 + (i * 7 + s) % 1000, i, s, false);
                }
                decode(context, batch);
            }
            for (int round = 1; round <= rounds; round++) {
                var line = new StringBuilder("round=" + round);
                for (int k : CHUNKS) {
                    long best = Long.MAX_VALUE;
                    for (int repeat = 0; repeat < 3; repeat++) {
                        context.forget(DECODING);
                        batch.clear();
                        for (int s = 0; s < DECODING; s++) {
                            context.forget(s, CONTEXT);
                            batch.add(200 + s, CONTEXT, s, true);
                        }
                        for (int i = 0; i < k; i++) {
                            batch.add(300 + i, i, DECODING, i == k - 1);
                        }
                        long started = System.nanoTime();
                        decode(context, batch);
                        best = Math.min(best, System.nanoTime() - started);
                    }
                    line.append(String.format(" decode%d+prompt%d_ms=%.1f", DECODING, k, best / 1e6));
                }
                System.out.println(line);
            }
        }
    }

    private static void decode(LlamaContext context, LlamaBatch batch) {
        int rc = context.decode(batch);
        if (rc != 0) {
            throw new IllegalStateException("llama_decode returned " + rc);
        }
    }
}
