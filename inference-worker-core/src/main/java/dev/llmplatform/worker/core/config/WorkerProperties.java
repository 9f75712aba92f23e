package dev.llmplatform.worker.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.springframework.util.unit.DataSize;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * What both workers share. Each deployable's application.yml sets its own sizing and native build.
 *
 * @param workerId          how the scheduler names this worker in placements and metrics
 * @param registryTarget    gRPC target of the model registry, whose production artifacts this worker follows
 * @param nativeDir         folder holding the llama.cpp build (filled at build time by tools/llama/fetch-llama.sh);
 *                          relative paths resolve against the working directory, the repository root when launched locally
 * @param hostBuildDir      folder of a llama.cpp build made on this host for its processor
 *                          (tools/llama/build-llama-native.sh); the CPU worker uses it instead of native-dir when it
 *                          was made on a processor with this one's flags (faster batches), and ignores it otherwise
 * @param gpuLayers         layers offloaded to a GPU; -1 means all of them (ignored on the CPU back end)
 * @param slots             sequences decoded together in one batch (continuous batching)
 * @param contextPerSlot    tokens of KV cache each sequence may use (prompt plus output), capped by the model's own
 * @param batchTokens       tokens one decode step may hold (running sequences' next tokens plus prompt chunks)
 * @param threads           llama.cpp compute threads; 0 means one per core but one on the CPU back end (at least 1),
 *                          llama.cpp's choice on a GPU
 * @param maxWaiting        requests allowed to wait for a free slot before new ones are refused
 * @param loadRetryInterval how long to wait before asking the registry again when it is not up yet
 * @param drainTimeout      on stop, how long running streams get to finish before they are ended and resumed
 *                          elsewhere by the scheduler (keep it under the pod's termination grace period)
 * @param streamInterval    the least time between two chunks of one stream: tokens that come sooner go out together
 *                          at the end of it (fewer messages per token on every hop when decode steps are short);
 *                          the first text is never held; 0 (with stream-tokens 1) sends each token as it comes
 * @param busyStreamInterval the stream interval while requests wait for a free slot: a saturated batch's streams
 *                          advance a token per step whatever it is, and each message fewer on the scheduler and the
 *                          gateway is CPU left for decoding where they share the host; equal to stream-interval to
 *                          keep one pace
 * @param streamTokens      the tokens a chunk waits for (within stream-hold) before it goes: each message costs the
 *                          scheduler and the gateway about the same CPU whatever it carries, so this sets their CPU
 *                          per token (docs/benchmarks.md, "Eight tokens a message"); 1 sends each token as soon as
 *                          stream-interval allows, as llama-server does; the first text always goes at once. A
 *                          chunk holding half of them goes with another stream's due chunk, so that the worker's
 *                          streams send together and share the relays' writes (docs/benchmarks.md, "Chunks that
 *                          are ready together travel together")
 * @param streamHold        the longest a chunk waits for stream-tokens after the previous one: a stream slower than
 *                          stream-tokens per hold sends what it has, and a token that comes later goes at once
 * @param promptCache       host memory, per loaded model, for the KV cells of prompts whose sequence id went to another
 *                          prompt, so that a prompt coming back (a chat's next turn, a repeated request) is restored
 *                          in one copy instead of prefilled again, as llama-server's --cache-ram; 0B keeps none
 * @param modelFile         a GGUF to load at start instead of following the registry (a worker run on its own, e.g.
 *                          on a lent GPU machine); its file name without .gguf is the model id
 * @param registryStateFile where the registry's last known state is kept, so that a worker restarted while the
 *                          registry is down loads and serves what it served before; none when unset
 * @param variantChoice     which of a production version's variants for this device the worker serves
 */
@ConfigurationProperties("worker")
public record WorkerProperties(
        @DefaultValue("worker-0") String workerId,
        @DefaultValue("static://127.0.0.1:9091") String registryTarget,
        @DefaultValue(".platform/native/llama-cpu/3.22.1") Path nativeDir,
        @DefaultValue(".platform/native/llama-cpu-native/3.22.1") Path hostBuildDir,
        @DefaultValue("-1") int gpuLayers,
        @DefaultValue("8") int slots,
        @DefaultValue("512") int contextPerSlot,
        @DefaultValue("512") int batchTokens,
        @DefaultValue("0") int threads,
        @DefaultValue("64") int maxWaiting,
        @DefaultValue("2s") Duration loadRetryInterval,
        @DefaultValue("20s") Duration drainTimeout,
        @DefaultValue("10ms") Duration streamInterval,
        @DefaultValue("40ms") Duration busyStreamInterval,
        @DefaultValue("8") int streamTokens,
        @DefaultValue("100ms") Duration streamHold,
        @DefaultValue("256MB") DataSize promptCache,
        Path modelFile,
        Path registryStateFile,
        @DefaultValue VariantChoice variantChoice) {

    /**
     * @param pinned                   variant id to serve, by model id, whatever the measurements say
     * @param minDecodeTokensPerSecond the speed target: the best-quality variant that decodes at least this fast on
     *                                 this device (as the registry measured it) is served; 0 = quality alone
     * @param memoryBudget             the most a variant's weights may take; 0 = this machine's physical memory
     */
    public record VariantChoice(
            @DefaultValue Map<String, String> pinned,
            @DefaultValue("0") double minDecodeTokensPerSecond,
            @DefaultValue("0B") DataSize memoryBudget) {
    }
}
