import dev.llmplatform.worker.cpu.infra.OnnxSentenceEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Embedding throughput of the CPU worker's engine (OnnxSentenceEncoder, the class the worker runs) on
 * all-MiniLM-L6-v2: the same short sentences sent as requests of 1 and of 32 inputs, with the engine running one
 * sequence per forward pass (the worker's default) and padded batches of 32. Each figure is the best of 3 and a
 * ratio to "requests of 1, one sequence per pass" measured in the same process. Run with
 * tools/bench/embedding-throughput.sh.
 */
public class EmbeddingBench {

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        int sentences = Integer.parseInt(args[2]);
        List<String> texts = new ArrayList<>();
        String[] subjects = {"The cat", "A developer", "The central bank", "My neighbour", "The orchestra", "A small boat"};
        String[] verbs = {"watched", "repaired", "announced", "painted", "carried", "forgot"};
        String[] objects = {"the old bridge", "a new policy", "the morning train", "three red apples", "the quiet garden"};
        for (int i = 0; texts.size() < sentences; i++) {
            texts.add(subjects[i % subjects.length] + " " + verbs[(i / 6) % verbs.length] + " "
                    + objects[(i / 36) % objects.length] + " on day " + i + ".");
        }
        System.out.printf("model=%s threads=%d sentences=%d cores=%d%n", dir, threads, sentences,
                Runtime.getRuntime().availableProcessors());
        double reference = 0;
        for (int passBatch : new int[] {1, 32}) {
            var encoder = new OnnxSentenceEncoder("all-minilm-l6-v2", dir.resolve("model.onnx"), dir.resolve("tokenizer.json"),
                    256, passBatch, threads);
            try {
                for (int requestSize : new int[] {1, 32}) {
                    run(encoder, texts.subList(0, 64), requestSize); // warm-up
                    double best = 0;
                    for (int repeat = 0; repeat < 3; repeat++) {
                        best = Math.max(best, run(encoder, texts, requestSize));
                    }
                    if (reference == 0) {
                        reference = best;
                    }
                    System.out.printf("requests of %2d inputs, %2d sequence(s) per forward pass: %7.1f embeddings/s (%.2f)%n",
                            requestSize, passBatch, best, best / reference);
                }
            } finally {
                encoder.close();
            }
        }
    }

    /** Embeddings per second over all texts sent in requests of {@code requestSize}. */
    private static double run(OnnxSentenceEncoder encoder, List<String> texts, int requestSize) {
        long started = System.nanoTime();
        for (int from = 0; from < texts.size(); from += requestSize) {
            encoder.embed(texts.subList(from, Math.min(texts.size(), from + requestSize)));
        }
        return texts.size() / ((System.nanoTime() - started) / 1e9);
    }
}
