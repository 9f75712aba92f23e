package dev.llmplatform.worker.core.api;

import dev.llmplatform.commons.prefix.PrefixKeys;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.domain.GenerationEngine;
import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.infra.ModelLoader;
import dev.llmplatform.worker.core.infra.WorkerDevice;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission and the load report, one for every device: what the worker is doing now and how fast it has been, the
 * numbers the scheduler places requests by. Device-specific figures (memory, accelerators) come from the device.
 */
public final class WorkerLoad {

    private final WorkerProperties properties;
    private final WorkerDevice device;
    private final LoadedModels models;
    private final ModelLoader loader;
    private final List<Embeddings> embeddings;
    private final WorkerDrain drain;
    /** Requests admitted and not yet ended: running or waiting for a slot. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong generatedTokens = new AtomicLong();

    public WorkerLoad(WorkerProperties properties, WorkerDevice device, LoadedModels models, ModelLoader loader,
                      List<Embeddings> embeddings, WorkerDrain drain) {
        this.properties = properties;
        this.drain = drain;
        this.device = device;
        this.models = models;
        this.loader = loader;
        this.embeddings = List.copyOf(embeddings);
    }

    /** Admits a request unless the engine's slots and the waiting room ({@code worker.max-waiting}) are full. */
    boolean tryAdmit(GenerationEngine engine) {
        int limit = engine.slots() + properties.maxWaiting();
        while (true) {
            int current = inFlight.get();
            if (current >= limit) {
                return false;
            }
            if (inFlight.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    void release() {
        inFlight.decrementAndGet();
    }

    int inFlight() {
        return inFlight.get();
    }

    void generated(int tokens) {
        generatedTokens.addAndGet(tokens);
    }

    public LoadReport report() {
        var report = LoadReport.newBuilder()
                .setWorkerId(properties.workerId())
                .setDeviceClass(device.deviceClass())
                .setMaxWaiting(properties.maxWaiting())
                .setGeneratedTokensTotal(generatedTokens.get());
        int running = 0;
        int waiting = 0;
        int slots = 0;
        long kvTokens = 0;
        long kvCapacity = 0;
        double decode = 0;
        double prefill = 0;
        long reused = 0;
        for (LoadedModels.Entry entry : models.all()) {
            GenerationEngine engine = entry.engine();
            var load = engine.load();
            running += load.running();
            waiting += load.waiting();
            slots += engine.slots();
            kvTokens += load.kvCacheTokens();
            kvCapacity += load.kvCacheCapacityTokens();
            decode += load.decodeTokensPerSecond();
            prefill += load.prefillTokensPerSecond();
            for (long key : engine.cachedPrefixKeys()) {
                report.addCachedPrefixKeys(key);
            }
            reused += engine.reusedPromptTokens();
            report.addModels(LoadedModel.newBuilder()
                    .setId(engine.modelId())
                    .setContextLength(engine.contextPerSequence())
                    .setVariantId(entry.variantId())
                    .setOwnedBy(entry.ownedBy())
                    .setCreatedEpochSeconds(entry.createdEpochSeconds()));
        }
        device.describe(report, models.isEmpty() ? 0 : kvCapacity / models.all().size());
        embeddings.forEach(e -> report.addAllModels(e.loadedModels()));
        String notReady = drain.draining() ? "draining: the worker is stopping" : loader.notReadyReason();
        return report.setRunning(running).setWaiting(waiting).setSlots(slots)
                .setDecodeTokensPerSecond(decode).setPrefillTokensPerSecond(prefill)
                .setKvCacheTokens(kvTokens).setKvCacheCapacityTokens(kvCapacity)
                .setKvCacheUsage(kvCapacity == 0 ? 0 : Math.min(1.0, (double) kvTokens / kvCapacity))
                .setPrefixBlockTokens(PrefixKeys.DEFAULT_BLOCK_TOKENS).setReusedPromptTokensTotal(reused)
                .setReady(notReady.isEmpty())
                .setNotReadyReason(notReady)
                .build();
    }
}
