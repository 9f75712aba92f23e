import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Decode throughput of de.kherud's llama.cpp server (the CPU worker's previous engine) on one GGUF file, single stream and with
 * several streams decoded together (continuous batching), each figure a ratio to the single-stream run made in
 * the same process. Run with ENGINE=previous tools/bench/engine-throughput.sh.
 */
public class EngineBench {

    public static void main(String[] args) throws Exception {
        String model = args[0];
        int threads = Integer.parseInt(args[1]);
        int tokens = Integer.parseInt(args[2]);
        int repeats = 3;
        LlamaModel.setLogger(de.kherud.llama.args.LogFormat.TEXT, (level, msg) -> { });
        System.out.printf("model=%s threads=%d tokens/stream=%d repeats=%d cores=%d%n", model, threads, tokens, repeats,
                Runtime.getRuntime().availableProcessors());
        double reference = 0;
        for (int streams : new int[] {1, 2, 4, 8}) {
            try (var llama = new LlamaModel(new ModelParameters().setModel(model).setThreads(threads)
                    .setThreadsBatch(threads).setParallel(streams).setCtxSize(streams * (tokens + 64)).setGpuLayers(0))) {
                run(llama, 1, 16); // warm-up
                double best = 0;
                for (int r = 0; r < repeats; r++) {
                    best = Math.max(best, run(llama, streams, tokens));
                }
                if (streams == 1) {
                    reference = best;
                }
                System.out.printf("streams=%d  decode tokens/s (all streams)=%.1f  ratio to 1 stream=%.2f%n", streams, best, best / reference);
            }
        }
        // the binding's native server threads are not daemons and outlive close()
        System.exit(0);
    }

    /** Tokens per second over all streams, from the first request sent to the last token received. */
    private static double run(LlamaModel llama, int streams, int tokens) throws Exception {
        try (var pool = Executors.newFixedThreadPool(streams)) {
            List<Callable<Integer>> jobs = new ArrayList<>();
            for (int s = 0; s < streams; s++) {
                String prompt = "And it came to pass, " + s;
                jobs.add(() -> {
                    int n = 0;
                    for (LlamaOutput ignored : llama.generate(new InferenceParameters(prompt).setTemperature(0)
                            .setNPredict(tokens).setIgnoreEos(true).setCachePrompt(false))) {
                        n++;
                    }
                    return n - 1; // the closing result carries no token
                });
            }
            long start = System.nanoTime();
            int total = 0;
            for (Future<Integer> f : pool.invokeAll(jobs)) {
                total += f.get();
            }
            return total / ((System.nanoTime() - start) / 1e9);
        }
    }
}
