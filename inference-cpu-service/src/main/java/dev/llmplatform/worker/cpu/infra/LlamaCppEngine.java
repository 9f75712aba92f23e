package dev.llmplatform.worker.cpu.infra;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.args.LogFormat;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.TokenPrompt;
import dev.llmplatform.worker.cpu.domain.GenerationEngine;
import dev.llmplatform.worker.cpu.domain.GenerationOutcome;
import dev.llmplatform.worker.cpu.domain.GenerationRequest;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * llama.cpp (through the de.kherud JNI binding) running one GGUF model. llama.cpp's server loop inside the
 * binding batches all active slots into each decode step, which is the continuous batching the worker relies on.
 */
public final class LlamaCppEngine implements GenerationEngine {

    private static final Logger log = LoggerFactory.getLogger(LlamaCppEngine.class);

    static {
        // llama.cpp logs every step to stdout by default; route it to our logs at debug level instead.
        LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> log.debug("llama.cpp {}: {}", level, message.strip()));
    }

    private final String modelId;
    private final int contextPerSequence;
    private final LlamaModel model;

    public LlamaCppEngine(String modelId, Path gguf, int threads, int slots, int contextPerSequence) {
        this.modelId = modelId;
        this.contextPerSequence = contextPerSequence;
        this.model = new LlamaModel(new ModelParameters()
                .setModel(gguf.toString())
                .setThreads(threads)
                .setThreadsBatch(threads)
                .setParallel(slots)
                .setCtxSize(slots * contextPerSequence)
                .setGpuLayers(0));
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public int contextPerSequence() {
        return contextPerSequence;
    }

    @Override
    public GenerationOutcome generate(GenerationRequest request, TextSink sink, BooleanSupplier cancelled) {
        InferenceParameters parameters = parameters(request);
        var iterator = (LlamaIterator) model.generate(parameters).iterator();
        int tokens = 0;
        while (iterator.hasNext()) {
            if (cancelled.getAsBoolean()) {
                iterator.cancel();
                return new GenerationOutcome.Cancelled(tokens);
            }
            LlamaOutput output = iterator.next();
            if (!TokenPrompt.isFinal(output)) {
                // one result per sampled token; bytes of an unfinished UTF-8 character wait for the next token
                tokens++;
                sink.accept(output.text, 1);
            } else if (!output.text.isEmpty()) {
                sink.accept(output.text, 0);
            }
        }
        boolean lengthReached = tokens >= request.maxTokens()
                || request.promptTokenIds().length + tokens >= contextPerSequence;
        return lengthReached ? new GenerationOutcome.LengthReached(tokens) : new GenerationOutcome.Stopped(tokens);
    }

    static InferenceParameters parameters(GenerationRequest request) {
        InferenceParameters p = TokenPrompt.of(request.promptTokenIds())
                .setNPredict(request.maxTokens())
                .setTemperature(request.temperature())
                .setTopP(request.topP() > 0 ? request.topP() : 1.0f)
                .setTopK(request.topK())
                .setMinP(0f)
                .setRepeatPenalty(1.0f)
                .setFrequencyPenalty(request.frequencyPenalty())
                .setPresencePenalty(request.presencePenalty())
                .setCachePrompt(true);
        if (!request.stop().isEmpty()) {
            p.setStopStrings(request.stop().toArray(String[]::new));
        }
        request.seed().ifPresent(seed -> p.setSeed((int) seed));
        return p;
    }

    @Override
    public void close() {
        model.close();
    }

    @Override
    public String toString() {
        return "LlamaCppEngine[" + modelId + "]";
    }
}
