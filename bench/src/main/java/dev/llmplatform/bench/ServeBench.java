package dev.llmplatform.bench;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.args.LogFormat;
import dev.llmplatform.launcher.Layout;
import dev.llmplatform.launcher.LocalPlatform;
import dev.llmplatform.tokenizer.domain.ModelTokenizer;
import dev.llmplatform.tokenizer.infra.LlamaCppTokenizer;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A serving benchmark in the manner of vLLM's {@code bench serve}: the same prompt set, at each concurrency,
 * against the gateway, one worker over gRPC and llama.cpp in this process; request and token throughput,
 * TTFT, TPOT, ITL and end-to-end latency, goodput under an SLO; JSON and Markdown under {@code --out}.
 */
@Command(name = "serve-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serving benchmark: gateway vs worker over gRPC vs llama.cpp in-process, same prompts.")
public final class ServeBench implements Callable<Integer> {

    enum TargetKind { gateway, worker, reference, llama_server }

    @Option(names = "--targets", split = ",", description = "Which targets to run (default: ${DEFAULT-VALUE}).",
            defaultValue = "gateway,worker,reference")
    List<TargetKind> targets;

    @Option(names = "--launch-platform", description = "Start the five services from their exec jars on free loopback ports.")
    boolean launchPlatform;

    @Option(names = "--platform-root", defaultValue = ".", description = "Repository root (for --launch-platform).")
    Path platformRoot;

    @Option(names = "--platform-version", defaultValue = "0.1.0-SNAPSHOT")
    String platformVersion;

    @Option(names = "--gateway-url", defaultValue = "http://127.0.0.1:8080")
    URI gatewayUrl;

    @Option(names = "--llama-server-url", defaultValue = "http://127.0.0.1:8090",
            description = "Target llama-server: llama.cpp's own OpenAI-compatible server on the same model, started by hand "
                    + "(e.g. llama-server -m <gguf> -t 2 -np 8 -c 4096 --port 8090).")
    URI llamaServerUrl;

    @Option(names = "--api-key", defaultValue = "${env:GATEWAY_API_KEY:-sk-local-dev}",
            description = "Bearer key for the gateway (default: $GATEWAY_API_KEY or sk-local-dev).")
    String apiKey;

    @Option(names = "--worker-host", defaultValue = "127.0.0.1")
    String workerHost;

    @Option(names = "--worker-port", defaultValue = "9093")
    int workerPort;

    @Option(names = "--service-arg", description = "An argument for every launched service (repeatable), e.g. "
            + "--service-arg=--platform.security.enabled=false to measure what the internal plane's mutual TLS costs.")
    List<String> serviceArgs = new ArrayList<>();

    @Option(names = "--tls-dir", defaultValue = ".platform/certs",
            description = "The platform's certificates (./platform up issues them), for calling the worker directly.")
    Path tlsDir;

    @Option(names = "--allow-non-loopback", description = "Allow targets that are not this machine.")
    boolean allowNonLoopback;

    @Option(names = "--model", defaultValue = "tiny-kjv-chat", description = "Model name served by the platform.")
    String model;

    @Option(names = "--model-file", defaultValue = "models/tiny-kjv-chat/tiny-kjv-chat.gguf",
            description = "The same model's GGUF file: tokenizes the prompts and runs the reference.")
    Path modelFile;

    @Option(names = "--threads", defaultValue = "2", description = "llama.cpp threads, worker and reference alike.")
    int threads;

    @Option(names = "--slots", defaultValue = "8", description = "Sequences run at once, worker and reference alike.")
    int slots;

    @Option(names = "--context-per-slot", defaultValue = "512")
    int contextPerSlot;

    @Option(names = "--num-prompts", defaultValue = "32")
    int numPrompts;

    @Option(names = "--input-len", defaultValue = "64", description = "Prompt length in tokens, chat template included.")
    int inputLen;

    @Option(names = "--output-len", defaultValue = "64", description = "max_tokens of each request.")
    int outputLen;

    @Option(names = "--ignore-eos", description = "Every answer runs to --output-len tokens, past the model's end "
            + "(ignore_eos, on every target).")
    boolean ignoreEos;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy: every target generates the same tokens.")
    double temperature;

    @Option(names = "--seed", defaultValue = "42", description = "Seeds the prompt set and the arrivals.")
    long seed;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,4,8",
            description = "Concurrency levels, each run against every target in turn (default: ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--request-rate", defaultValue = "Infinity",
            description = "Poisson arrival rate in requests/s; Infinity sends all at once, bounded by concurrency.")
    double requestRate;

    @Option(names = "--warmup", defaultValue = "8", description = "Requests sent to each target before it is measured (JIT, caches).")
    int warmup;

    @Option(names = "--rounds", defaultValue = "1", description = "Each concurrency runs every target in turn this many "
            + "times; ratios are taken per round (a level given twice counts as a further round). Later rounds show the "
            + "services after their JIT compilers have seen the load.")
    int rounds;

    @Option(names = "--max-duration", defaultValue = "PT3M", description = "Upper bound of each run (ISO-8601 duration).")
    Duration maxDuration;

    @Option(names = "--slo-ttft-ms")
    Double sloTtftMs;

    @Option(names = "--slo-tpot-ms")
    Double sloTpotMs;

    @Option(names = "--slo-e2e-ms")
    Double sloE2eMs;

    @Option(names = "--out", defaultValue = "target/serve-bench")
    Path out;

    @Option(names = "--note", defaultValue = "", description = "Free text recorded in the report (e.g. machine load).")
    String note;

    private final PrintStream err = System.err;

    public static void main(String[] args) {
        int code = new CommandLine(new ServeBench()).setCaseInsensitiveEnumValuesAllowed(true)
                .setOverwrittenOptionsAllowed(true) // options given after the script's defaults win
                .execute(args);
        System.exit(code); // llama.cpp's native threads are not daemons
    }

    @Override
    public Integer call() throws Exception {
        LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> { });
        if (numPrompts < 1 || inputLen < 1 || outputLen < 1 || rounds < 1 || maxDuration.isNegative() || maxDuration.isZero()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "counts and durations must be positive");
        }
        LocalPlatform platform = null;
        try {
            String apiKeyInUse = apiKey;
            if (launchPlatform) {
                apiKeyInUse = "sk-bench-" + System.nanoTime();
                err.println("Starting the platform from " + platformRoot.toAbsolutePath().normalize() + " ...");
                // the launcher of ./platform up and the end-to-end tests, on free ports, its files under the out dir
                platform = new LocalPlatform(apiKeyInUse, Layout.workDir(platformRoot.toAbsolutePath().normalize(), platformVersion,
                        out.toAbsolutePath())).withModel(modelFile).withWorkerCapacity(slots, threads)
                        .withServiceArgs(serviceArgs).start();
                gatewayUrl = URI.create("http://127.0.0.1:" + platform.service("gateway").httpPort());
                workerHost = "127.0.0.1";
                workerPort = platform.service("inference-cpu-service").grpcPort();
                tlsDir = platform.tlsDir();
            }
            Loopback.require(gatewayUrl.getHost(), allowNonLoopback);
            Loopback.require(workerHost, allowNonLoopback);
            Loopback.require(llamaServerUrl.getHost(), allowNonLoopback);
            return runAll(apiKeyInUse);
        } finally {
            if (platform != null) {
                platform.close();
            }
        }
    }

    private int runAll(String apiKeyInUse) throws Exception {
        List<BenchPrompt> prompts;
        try (ModelTokenizer tokenizer = new LlamaCppTokenizer(model, modelFile)) {
            // exactly what the tokenizer service's ApplyChatTemplate returns to the scheduler
            prompts = PromptSet.generate(numPrompts, inputLen, seed, text ->
                    tokenizer.encode(tokenizer.applyChatTemplate(List.of(new ModelTokenizer.Message("user", text)), true), true));
        }
        var sampling = new Sampling(temperature, outputLen, temperature > 0 ? OptionalLong.of(seed) : OptionalLong.empty(),
                ignoreEos);
        var slo = new RunSummary.Slo(sloTtftMs, sloTpotMs, sloE2eMs);
        var generator = new LoadGenerator(err);
        List<RunSummary> summaries = new ArrayList<>();
        Duration timeout = maxDuration;
        try (var opened = new OpenTargets()) {
            for (TargetKind kind : targets) {
                opened.add(switch (kind) {
                    case gateway -> new GatewayTarget(gatewayUrl, apiKeyInUse, model, timeout);
                    case worker -> new WorkerGrpcTarget(workerHost, workerPort, tlsDir, model, timeout);
                    case reference -> new ReferenceEngineTarget(modelFile, threads, slots, contextPerSlot);
                    case llama_server -> new GatewayTarget("llama-server", llamaServerUrl, "none", model, timeout);
                });
            }
            for (Target target : opened.targets) {
                for (int i = 0; i < warmup; i++) {
                    RequestRecord r = target.generate(prompts.get(i % prompts.size()), sampling);
                    if (!r.succeeded()) {
                        err.println("Warm-up request to " + target.name() + " failed: " + r.error());
                        return 2;
                    }
                }
            }
            // each concurrency level runs every target back to back, so that load from elsewhere hits all alike
            for (int c : concurrency) {
                for (int i = 0; i < rounds; i++) {
                    for (Target target : opened.targets) {
                        var run = generator.run(target, prompts, sampling, new LoadGenerator.Arrivals(c, requestRate, seed), maxDuration);
                        // a level given twice (--concurrency 8,8) counts as a further round too
                        int seen = (int) summaries.stream()
                                .filter(s -> s.target().equals(run.target()) && s.concurrency() == c).count();
                        RunSummary summary = RunSummary.of(run, seen + 1, slo);
                        summaries.add(summary);
                        err.printf("  %s c=%d round %d: %.1f output tok/s, TTFT mean %.1f ms, TPOT mean %.2f ms, %d failed%n",
                                summary.target(), c, summary.round(), summary.outputTokenThroughput(), summary.ttftMs().mean(),
                                summary.tpotMs().mean(), summary.failed());
                    }
                }
            }
        }
        var report = BenchReport.of(setup(prompts), summaries);
        report.write(out);
        System.out.print(report.markdown());
        err.println("Wrote " + out.resolve("serve-bench.json") + " and " + out.resolve("serve-bench.md"));
        return summaries.stream().anyMatch(s -> s.failed() > 0) ? 1 : 0;
    }

    private Map<String, Object> setup(List<BenchPrompt> prompts) {
        var setup = new LinkedHashMap<String, Object>();
        setup.put("date", Instant.now().toString());
        setup.put("model", model + " (" + modelFile + ")");
        setup.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", JDK " + Runtime.version());
        setup.put("threads / slots", threads + " / " + slots);
        setup.put("prompts", prompts.size() + " (seed " + seed + "), input tokens mean "
                + String.format(java.util.Locale.ROOT, "%.1f", prompts.stream().mapToInt(BenchPrompt::inputTokens).average().orElse(0))
                + ", max_tokens " + outputLen + (ignoreEos ? " (ignore_eos)" : "") + ", temperature " + temperature);
        setup.put("rounds", rounds);
        setup.put("arrivals", Double.isInfinite(requestRate) ? "all at once, bounded by concurrency" : "Poisson " + requestRate + " req/s");
        setup.put("slo", "ttft<=" + sloTtftMs + " ms, tpot<=" + sloTpotMs + " ms, e2e<=" + sloE2eMs + " ms");
        setup.put("max duration per run", maxDuration.toString());
        if (!note.isBlank()) {
            setup.put("note", note);
        }
        return setup;
    }

    /** Closes every target it holds, even when opening a later one failed. */
    private static final class OpenTargets implements AutoCloseable {
        final List<Target> targets = new ArrayList<>();

        void add(Target target) {
            targets.add(target);
        }

        @Override
        public void close() {
            targets.forEach(Target::close);
        }
    }
}
