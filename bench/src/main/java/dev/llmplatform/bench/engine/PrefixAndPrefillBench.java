package dev.llmplatform.bench.engine;

import dev.llmplatform.worker.core.domain.GenerationEngine;
import dev.llmplatform.worker.core.domain.GenerationOutcome;
import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.engine.ContinuousBatchingEngine;
import dev.llmplatform.worker.core.llama.LlamaContext;
import dev.llmplatform.worker.core.llama.LlamaLibrary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's two prompt-side targets (issue 19), on one model and thread count:
 * <ul>
 *   <li>prefix reuse: time to first token of a prompt whose first {@code cached} tokens an earlier sequence left in
 *       the KV cache, against the same prompt with nothing cached (median of {@code repeats});</li>
 *   <li>chunked prefill: the p99 gap between tokens of 4 decoding streams, alone and while a {@code long}-token
 *       prompt is prefilled beside them.</li>
 * </ul>
 * Usage: {@code PrefixAndPrefillBench NATIVE_DIR MODEL.gguf [threads] [cached] [long] [repeats]}
 * (tools/bench/prompt-side.sh builds and runs it).
 */
public final class PrefixAndPrefillBench {

    private PrefixAndPrefillBench() {
    }

    public static void main(String[] args) throws Exception {
        LlamaLibrary library = LlamaLibrary.load(Path.of(args[0]));
        Path gguf = Path.of(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int cached = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
        int longPrompt = args.length > 4 ? Integer.parseInt(args[4]) : 2000;
        int repeats = args.length > 5 ? Integer.parseInt(args[5]) : 5;
        int context = Math.max(cached, longPrompt) + 256;
        var llama = new LlamaContext(library, gguf, new LlamaContext.Settings(0, 5, context, 512, threads));
        var engine = new ContinuousBatchingEngine("bench", llama, 5, 512, (s, p, d, n) -> {
            if (System.getenv("BENCH_STEPS") != null && d > 0 && p > 0) {
                System.out.printf("    mixed step: decode=%d prefill=%d ms=%.1f%n", d, p, n / 1e6);
            } else if (System.getenv("BENCH_STEPS") != null && d > 0 && Math.random() < 0.05) {
                System.out.printf("    decode step: decode=%d ms=%.1f%n", d, n / 1e6);
            }
        });
        try {
            prefixReuse(engine, llama, cached, repeats);
            chunkedPrefill(engine, llama, longPrompt);
        } finally {
            engine.close();
        }
    }

    private static void prefixReuse(ContinuousBatchingEngine engine, LlamaContext llama, int cached, int repeats) throws Exception {
        int[] text = tokens(llama, cached + 64);
        List<Double> uncached = new ArrayList<>();
        List<Double> reused = new ArrayList<>();
        for (int r = 0; r < repeats + 1; r++) {
            // a fresh shared prefix each round (its first token differs), so the cold run finds nothing
            int[] prefix = Arrays.copyOf(text, cached);
            prefix[1] = 100 + r;
            int[] first = concat(prefix, Arrays.copyOfRange(text, cached, cached + 16));
            int[] second = concat(prefix, Arrays.copyOfRange(text, cached + 16, cached + 32));
            double cold = firstTokenMillis(engine, first);
            double warm = firstTokenMillis(engine, second);
            if (r > 0) { // the first round warms up
                uncached.add(cold);
                reused.add(warm);
            }
        }
        double coldMedian = median(uncached);
        double warmMedian = median(reused);
        System.out.printf("prefix_reuse cached_tokens=%d ttft_uncached_ms=%.1f ttft_cached_ms=%.1f ratio=%.3f%n",
                cached, coldMedian, warmMedian, warmMedian / coldMedian);
    }

    private static void chunkedPrefill(ContinuousBatchingEngine engine, LlamaContext llama, int longPrompt) throws Exception {
        int[] shortPrompt = llama.tokenize("And God said");
        List<Long> alone = gaps(engine, shortPrompt, 96, null);
        List<Long> beside = gaps(engine, shortPrompt, 96, tokens(llama, longPrompt));
        double p99Alone = percentile(alone, 0.99) / 1e6;
        double p99Beside = percentile(beside, 0.99) / 1e6;
        System.out.printf("chunked_prefill long_prompt=%d itl_p99_alone_ms=%.1f itl_p99_beside_ms=%.1f ratio=%.2f%n",
                longPrompt, p99Alone, p99Beside, p99Beside / p99Alone);
        System.out.printf("  gaps alone: n=%d p50=%.1f p90=%.1f max=%.1f ms; beside: n=%d p50=%.1f p90=%.1f max=%.1f ms%n",
                alone.size(), percentile(alone, 0.5) / 1e6, percentile(alone, 0.9) / 1e6, percentile(alone, 1.0) / 1e6,
                beside.size(), percentile(beside, 0.5) / 1e6, percentile(beside, 0.9) / 1e6, percentile(beside, 1.0) / 1e6);
    }

    /**
     * Inter-token gaps of 4 greedy streams; with {@code intruder}, that prompt is submitted once the streams run and
     * the gaps counted are those while it is being prefilled (until its first token).
     */
    private static List<Long> gaps(ContinuousBatchingEngine engine, int[] prompt, int tokens, int[] intruder) throws Exception {
        List<Long> gaps = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong windowStart = new AtomicLong(intruder == null ? 1 : Long.MAX_VALUE);
        AtomicLong windowEnd = new AtomicLong(Long.MAX_VALUE);
        List<CompletableFuture<GenerationOutcome>> streams = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            long[] last = {0};
            streams.add(engine.submit(GenerationRequest.greedy("stream-" + i, prompt, tokens), (text, token) -> {
                long now = System.nanoTime();
                if (last[0] != 0 && now >= windowStart.get() && now <= windowEnd.get()) {
                    gaps.add(now - last[0]);
                }
                last[0] = now;
            }, () -> false));
        }
        if (intruder != null) {
            Thread.sleep(300); // the streams are decoding
            windowStart.set(System.nanoTime());
            var first = new CompletableFuture<Void>();
            var done = engine.submit(GenerationRequest.greedy("long", intruder, 1), (text, token) -> {
                windowEnd.set(System.nanoTime());
                first.complete(null);
            }, () -> false);
            done.get(10, TimeUnit.MINUTES);
            System.out.printf("  long prompt's first token after %.0f ms%n", (windowEnd.get() - windowStart.get()) / 1e6);
        }
        for (var stream : streams) {
            stream.get(10, TimeUnit.MINUTES);
        }
        return gaps;
    }

    private static double firstTokenMillis(GenerationEngine engine, int[] prompt) throws Exception {
        long started = System.nanoTime();
        var first = new CompletableFuture<Long>();
        engine.submit(GenerationRequest.greedy("ttft", prompt, 1), (text, token) -> first.complete(System.nanoTime()),
                () -> false).get(10, TimeUnit.MINUTES);
        return (first.get() - started) / 1e6;
    }

    /** {@code count} tokens of ordinary text, the Bible's first verses repeated. */
    private static int[] tokens(LlamaContext llama, int count) {
        String verse = "In the beginning God created the heaven and the earth. And the earth was without form, and void; "
                + "and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters. ";
        int[] once = llama.tokenize(verse);
        int[] result = new int[count];
        result[0] = once[0];
        for (int i = 1; i < count; i++) {
            result[i] = once[1 + (i - 1) % (once.length - 1)];
        }
        return result;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] result = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static double percentile(List<Long> values, double p) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }
}
