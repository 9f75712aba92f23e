package dev.llmplatform.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.TokenPrompt;
import java.nio.file.Path;

/**
 * The reference: llama.cpp in this process through the same de.kherud:llama jar, with the worker's slot layout,
 * thread count and sampling parameters, fed the same token ids — the cost of the engine alone.
 */
public final class ReferenceEngineTarget implements Target {

    private final LlamaModel model;

    public ReferenceEngineTarget(Path gguf, int threads, int slots, int contextPerSlot) {
        this.model = new LlamaModel(new ModelParameters()
                .setModel(gguf.toString())
                .setThreads(threads)
                .setThreadsBatch(threads)
                .setParallel(slots)
                .setCtxSize(slots * contextPerSlot)
                .setGpuLayers(0));
    }

    @Override
    public String name() {
        return "reference";
    }

    /** The parameters LlamaCppEngine in the CPU worker sets for a request without top-k, stop strings or penalties. */
    static InferenceParameters parameters(BenchPrompt prompt, Sampling sampling) {
        InferenceParameters p = TokenPrompt.of(prompt.promptTokenIds())
                .setNPredict(sampling.maxTokens())
                .setTemperature((float) sampling.temperature())
                .setTopP(1.0f)
                .setTopK(0)
                .setMinP(0f)
                .setRepeatPenalty(1.0f)
                .setFrequencyPenalty(0f)
                .setPresencePenalty(0f)
                .setCachePrompt(true)
                .setIgnoreEos(sampling.ignoreEos());
        sampling.seed().ifPresent(seed -> p.setSeed((int) seed));
        return p;
    }

    @Override
    public RequestRecord generate(BenchPrompt prompt, Sampling sampling) {
        var timer = new RequestTimer(prompt);
        try {
            for (LlamaOutput output : model.generate(parameters(prompt, sampling))) {
                if (!TokenPrompt.isFinal(output)) {
                    timer.tokens(1); // one result per sampled token
                }
            }
            return timer.finish(0);
        } catch (RuntimeException e) {
            return timer.fail(e.toString());
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
