package dev.llmplatform.worker.core.engine;

import dev.llmplatform.commons.prefix.PrefixKeys;
import dev.llmplatform.worker.core.domain.GenerationEngine;
import dev.llmplatform.worker.core.domain.GenerationOutcome;
import dev.llmplatform.worker.core.domain.GeneratedText;
import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.domain.Logprobs;
import dev.llmplatform.worker.core.domain.TokenLogprob;
import dev.llmplatform.worker.core.llama.LlamaBatch;
import dev.llmplatform.worker.core.llama.LlamaContext;
import dev.llmplatform.worker.core.llama.LlamaSampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching over one llama.cpp context. A single decode-loop thread owns the context; every step it
 * <ol>
 *   <li>admits waiting sequences while sequence ids are free,</li>
 *   <li>builds one batch: one token for each sequence that is generating, then prompt chunks of newly admitted
 *       sequences up to the batch's token budget (prefill),</li>
 *   <li>runs llama_decode once, samples the next token of every sequence whose logits came out,</li>
 *   <li>lets finished and cancelled sequences leave, freeing their KV cells (llama_memory_seq_rm) and ids.</li>
 * </ol>
 * So new requests join a running batch at the next step instead of waiting for it to drain. While sequences decode,
 * a step takes only a chunk of prompt tokens, sized so that the step lasts about 1.9 decode steps (chunked,
 * stall-free prefill), unless more sequences wait for their prompt than decode: then the step takes all the prompt
 * tokens it holds room for.
 * <p>
 * Prefix reuse: a sequence that leaves keeps its KV cells, parked on its sequence id ({@link PrefixSlots}). A new
 * sequence takes the free id whose cached tokens share the longest prefix with its prompt, drops the cells past
 * that prefix (llama_memory_seq_rm) and prefills only the rest; with nothing shared it takes an empty id, or the
 * least recently used one. KV cells are tagged with their sequence id, so taking over the id is the copy: no KV
 * data moves. The cells an id held past the prefix its new sequence shares are copied to host memory before they
 * are dropped ({@link HostPromptCache}, when it has a budget): a later prompt that starts with them, after every id
 * has since held other prompts, gets them back in one copy instead of a prefill.
 */
public final class ContinuousBatchingEngine implements GenerationEngine {

    private static final Logger log = LoggerFactory.getLogger(ContinuousBatchingEngine.class);
    private static final double SMOOTHING = 0.2;
    /** How long a step that mixes decoding with a prompt chunk may take, in decode steps of the same batch. */
    private static final double MIXED_STEP_TARGET = 1.9;

    /** Hears every decode step: how many sequences and tokens went in, and how long it took. */
    @FunctionalInterface
    public interface StepListener {
        void onStep(int sequences, int prefillTokens, int decodeTokens, long nanos);
    }

    private final String modelId;
    private final LlamaContext context;
    private final int slotCount;
    private final int batchTokens;
    private final StepListener listener;
    private final LinkedBlockingQueue<Sequence> waiting = new LinkedBlockingQueue<>();
    private final PrefixSlots slots;
    private final List<Sequence> active = new ArrayList<>();
    private final Thread loop;
    private volatile Sequence head;
    private volatile boolean closing;
    private volatile int running;
    private volatile long cachedTokens;
    private volatile double decodeTokensPerSecond;
    private volatile double prefillTokensPerSecond;
    /**
     * Smoothed time of a pure decode step by how many sequences it decoded: a mixed step is weighed against a decode
     * step of its own batch, not against one measured when fewer or more sequences ran.
     */
    private final double[] decodeStepNanos;
    /** Prompt tokens a step may add while others decode (see {@link #steer}). */
    private double prefillChunk = 4;
    private volatile long reusedPromptTokens;
    private final HostPromptCache promptCache;
    private volatile long restoredPromptTokens;
    /** The prompt cache's size as the decode loop last left it, for readers on other threads. */
    private volatile long promptCacheBytes;
    private volatile long[] cachedPrefixKeys = new long[0];

    public ContinuousBatchingEngine(String modelId, LlamaContext context, int slots, int batchTokens, StepListener listener) {
        this(modelId, context, slots, batchTokens, 0, listener);
    }

    /** @param promptCacheBytes host memory for sequences' cells after their id went to another prompt; 0: none */
    public ContinuousBatchingEngine(String modelId, LlamaContext context, int slots, int batchTokens, long promptCacheBytes,
                                    StepListener listener) {
        this.modelId = modelId;
        this.promptCache = new HostPromptCache(promptCacheBytes);
        this.context = context;
        this.slotCount = slots;
        this.batchTokens = Math.max(batchTokens, slots);
        this.listener = listener;
        this.slots = new PrefixSlots(slots);
        this.decodeStepNanos = new double[slots + 1];
        loop = Thread.ofPlatform().name("decode-" + modelId).daemon(true).start(this::run);
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public int contextPerSequence() {
        return context.contextPerSequence();
    }

    @Override
    public int slots() {
        return slotCount;
    }

    @Override
    public long reusedPromptTokens() {
        return reusedPromptTokens;
    }

    @Override
    public long restoredPromptTokens() {
        return restoredPromptTokens;
    }

    @Override
    public long promptCacheBytes() {
        return promptCacheBytes;
    }

    @Override
    public long[] cachedPrefixKeys() {
        return cachedPrefixKeys;
    }

    @Override
    public CompletableFuture<GenerationOutcome> submit(GenerationRequest request, TextSink sink, BooleanSupplier cancelled) {
        if (request.promptTokenIds().length + request.resumeTokenIds().length > contextPerSequence()
                || request.promptTokenIds().length >= contextPerSequence()) {
            throw new IllegalArgumentException("the prompt has " + request.promptTokenIds().length + " tokens and "
                    + request.resumeTokenIds().length + " are resumed, but a sequence holds " + contextPerSequence());
        }
        int vocabulary = context.vocabularySize();
        for (int[] ids : new int[][] {request.promptTokenIds(), request.resumeTokenIds()}) {
            for (int id : ids) {
                // llama_decode would refuse the whole step, and with it every other sequence in the batch
                if (id < 0 || id >= vocabulary) {
                    throw new IllegalArgumentException("token id " + id + " is outside the model's vocabulary (0.."
                            + (vocabulary - 1) + ")");
                }
            }
        }
        var sequence = new Sequence(request, sink, cancelled,
                new GeneratedText(request, contextPerSequence(), context::isEndOfGeneration, context::piece));
        if (closing) {
            sequence.outcome.complete(new GenerationOutcome.Failed(0, "engine " + modelId + " is closed"));
            return sequence.outcome;
        }
        // built here rather than in the decode loop, so that a grammar that does not parse is the caller's error
        sequence.sampler = context.newSampler(sequence.samplerSettings(
                request.constraints().ignoreEos() ? context.endOfGenerationTokens() : new int[0]));
        waiting.add(sequence);
        return sequence.outcome;
    }

    @Override
    public EngineLoad load() {
        return new EngineLoad(running, waiting.size() + (head != null ? 1 : 0), cachedTokens,
                (long) slotCount * contextPerSequence(), decodeTokensPerSecond, prefillTokensPerSecond);
    }

    private void run() {
        try (LlamaBatch batch = context.newBatch(batchTokens)) {
            while (!closing) {
                admit();
                if (active.isEmpty()) {
                    // idle: block until a sequence arrives; it is admitted first at the next turn
                    head = waiting.poll(100, TimeUnit.MILLISECONDS);
                    continue;
                }
                step(batch);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.error("Decode loop of {} stopped", modelId, e);
            closing = true;
        } finally {
            promptCache.clear();
            promptCacheBytes = 0;
            for (Sequence s : List.copyOf(active)) {
                finish(s, new GenerationOutcome.Failed(s.text.generated(), "engine " + modelId + " stopped"));
            }
            Sequence s = head;
            if (s != null) {
                s.end(new GenerationOutcome.Failed(0, "engine " + modelId + " stopped"));
            }
            while ((s = waiting.poll()) != null) {
                s.end(new GenerationOutcome.Failed(0, "engine " + modelId + " stopped"));
            }
        }
    }

    private void admit() {
        while (slots.hasFree()) {
            Sequence next = head != null ? head : waiting.poll();
            head = null;
            if (next == null) {
                break;
            }
            if (next.cancelled()) {
                next.end(new GenerationOutcome.Cancelled(0));
                continue;
            }
            PrefixSlots.Taken taken = slots.take(next.prefill);
            next.seqId = taken.seqId();
            int reused = reusePrefix(next, taken);
            next.prefilled = reused;
            next.position = reused;
            next.decoded.addAll(next.prefill, reused);
            reusedPromptTokens += reused;
            slots.holding(next.seqId, next.prefill);
            active.add(next);
            resume(next);
        }
        running = active.size();
        cachedPrefixKeys = prefixKeys();
    }

    /**
     * Leaves in the sequence's cells the longest prefix of its prompt that is cached, on its id or in host memory,
     * and says how long it is. At least the last prompt token is decoded again: its logits give the first token. What
     * the id held past the shared prefix goes to host memory first, so that its prompt can come back.
     */
    private int reusePrefix(Sequence next, PrefixSlots.Taken taken) {
        int seqId = next.seqId;
        int last = next.prefill.length - 1;
        int reused = Math.min(taken.cachedPrefix(), last);
        boolean dropsCells = taken.cachedTokens() > reused;
        if (dropsCells) {
            promptCache.keep(slots.tokens(seqId), arena -> context.copySequence(seqId, arena));
            promptCacheBytes = promptCache.bytes();
        }
        var match = promptCache.longestPrefix(next.prefill);
        if (match.isPresent() && Math.min(match.get().prefix(), last) >= reused + HostPromptCache.MIN_TOKENS) {
            int restored = Math.min(match.get().prefix(), last);
            if (!context.restoreSequence(seqId, match.get().entry().cells())) {
                log.debug("No room in the KV cache to restore {} cached tokens for {}", restored, next.request.requestId());
                return 0; // llama.cpp emptied the sequence
            }
            if (match.get().entry().tokens().length > restored) {
                context.forget(seqId, restored);
            }
            restoredPromptTokens += restored;
            return restored;
        }
        if (dropsCells) {
            context.forget(seqId, reused);
        }
        return reused;
    }

    /**
     * The prefix keys of what the ids hold, then of the prompts most recently kept in host memory: the scheduler sends
     * a prompt that starts with either here.
     */
    private long[] prefixKeys() {
        long[] onIds = slots.prefixKeys(PrefixKeys.DEFAULT_BLOCK_TOKENS);
        long[] inHost = promptCache.prefixKeys();
        if (inHost.length == 0) {
            return onIds;
        }
        var all = new java.util.LinkedHashSet<Long>(onIds.length + inHost.length);
        for (long key : onIds) {
            all.add(key);
        }
        for (long key : inHost) {
            all.add(key);
        }
        return all.stream().mapToLong(Long::longValue).toArray();
    }

    private void step(LlamaBatch batch) {
        batch.clear();
        int decodeTokens = 0;
        int prefillTokens = 0;
        int prefilling = 0;
        for (Sequence s : active) {
            prefilling += s.prefilled < s.prefill.length ? 1 : 0;
            if (s.nextToken >= 0) {
                s.outputIndex = batch.add(s.nextToken, s.position++, s.seqId, true);
                s.decoded.add(s.nextToken);
                s.nextToken = -1;
                decodeTokens++;
            }
        }
        int room = chunked(decodeTokens, prefilling)
                ? Math.min(batch.capacity(), decodeTokens + Math.max(prefilling * ((decodeTokens + 1) / 2), (int) prefillChunk))
                : batch.capacity();
        for (Sequence s : active) {
            int[] prompt = s.prefill;
            while (s.prefilled < prompt.length && batch.size() < room) {
                boolean last = s.prefilled == prompt.length - 1;
                s.decoded.add(prompt[s.prefilled]);
                int index = batch.add(prompt[s.prefilled++], s.position++, s.seqId, last);
                prefillTokens++;
                if (last) {
                    s.outputIndex = index;
                }
            }
        }
        long started = System.nanoTime();
        int rc = batch.size() == 0 ? 0 : context.decode(batch);
        long nanos = System.nanoTime() - started;
        if (rc != 0) {
            // the KV cache of every sequence in this batch is now uncertain: end them all, clearly, and cache nothing
            for (Sequence s : active) {
                s.decoded.clear();
            }
            for (Sequence s : List.copyOf(active)) {
                finish(s, new GenerationOutcome.Failed(s.text.generated(), "llama_decode returned " + rc));
            }
            return;
        }
        record(prefillTokens, decodeTokens, chunked(decodeTokens, prefilling), nanos);
        for (Sequence s : List.copyOf(active)) {
            if (s.outputIndex >= 0) {
                int token = context.sample(s.sampler, s.outputIndex, s.text.generated());
                TokenLogprob logprob = s.request.wantsLogprobs()
                        ? Logprobs.of(context.logits(s.outputIndex), token, s.request.topLogprobs(), context::piece)
                        : null;
                s.outputIndex = -1;
                accept(s, token, logprob);
            }
            if (!s.outcome.isDone() && s.cancelled()) {
                finish(s, new GenerationOutcome.Cancelled(s.text.generated()));
            }
        }
        long cached = 0;
        for (Sequence s : active) {
            cached += s.position;
        }
        cachedTokens = cached;
    }

    /**
     * Whether a step's prompt tokens are held to the chunk: stall-free prefill, so that a long prompt arriving slows
     * running streams by under a step per token rather than stalling them for whole batches of prefill. Not when more
     * sequences wait for their first token than decode: a step's prompt tokens then delay fewer streams than they
     * serve, and a wave of arrivals (a closed loop of 8 clients whose answers ended together) goes in in one step, as
     * llama-server takes it, instead of over seconds while a nearly empty batch decodes.
     */
    private static boolean chunked(int decodeTokens, int prefilling) {
        return decodeTokens > 0 && prefilling <= decodeTokens;
    }

    /**
     * Sizes the next prompt chunk so that a step mixing it with decoding lasts about {@value #MIXED_STEP_TARGET} decode
     * steps of the same batch. Under 2: the streams' gaps stay within twice their decode step. Not much under: when
     * requests keep arriving, their prompts must go in about as fast as answers come out, or slots wait half-prefilled
     * and the batch shrinks (at 1.5 decode steps, a served run of 8 streams on the 214M model reached 0.30x
     * llama-server's tokens/s); for the same reason a step takes, for each sequence waiting for its prompt, at least
     * half as many prompt tokens as sequences decode. Not as many: on a 2-core Xeon, 4 decoding tokens beside 4 prompt
     * tokens of the 214M model took twice a decode step, so that floor alone doubled the streams' gaps.
     * <p>
     * The chunk moves geometrically towards the size whose step took the budget: by the square root of budget / what
     * the chunk added, at most twofold either way. So a step's fixed costs steer it no wrong (a cost per token learnt
     * from chunks of a few tokens made each look as dear as a whole step and held the chunk there), and one slow step
     * on a busy machine costs a factor under 2 that the next steps win back, where shrinking 0.6x on each slow step and
     * growing by an eighth on each fast one left it at a token or two.
     */
    private void steer(long mixedStepNanos, int decodeTokens, int prefillTokens) {
        double decodeStep = decodeStepOf(decodeTokens);
        if (decodeStep <= 0 || prefillTokens < (int) prefillChunk) {
            return; // nothing to weigh against, or the prompts had fewer tokens left than the chunk: nothing learnt
        }
        double budget = (MIXED_STEP_TARGET - 1) * decodeStep;
        double added = Math.max(mixedStepNanos - decodeStep, 0);
        double factor = Math.sqrt(added == 0 ? 4 : Math.clamp(budget / added, 0.25, 4));
        prefillChunk = Math.clamp(prefillTokens * factor, 1, batchTokens);
    }

    /** A pure decode step of {@code sequences} sequences as measured, else of the nearest size measured; 0 before any. */
    private double decodeStepOf(int sequences) {
        int size = Math.min(sequences, slotCount);
        for (int d = 0; d <= slotCount; d++) {
            if (size - d >= 1 && decodeStepNanos[size - d] > 0) {
                return decodeStepNanos[size - d];
            }
            if (size + d <= slotCount && decodeStepNanos[size + d] > 0) {
                return decodeStepNanos[size + d];
            }
        }
        return 0;
    }

    private void record(int prefillTokens, int decodeTokens, boolean chunked, long nanos) {
        if (nanos <= 0) {
            return;
        }
        listener.onStep(running, prefillTokens, decodeTokens, nanos);
        if (log.isTraceEnabled()) {
            log.trace("step: {} decoding, {} prompt tokens, {} us, next chunk {}", decodeTokens, prefillTokens, nanos / 1000, (int) prefillChunk);
        }
        if (decodeTokens > 0 && prefillTokens == 0) {
            decodeTokensPerSecond = smooth(decodeTokensPerSecond, decodeTokens * 1e9 / nanos);
            int size = Math.min(decodeTokens, slotCount);
            decodeStepNanos[size] = smooth(decodeStepNanos[size], nanos);
        } else if (chunked) {
            steer(nanos, decodeTokens, prefillTokens);
        }
        if (prefillTokens > 0) {
            prefillTokensPerSecond = smooth(prefillTokensPerSecond, prefillTokens * 1e9 / nanos);
        }
    }

    private static double smooth(double previous, double sample) {
        return previous == 0 ? sample : previous + SMOOTHING * (sample - previous);
    }

    /**
     * A resumed sequence takes the tokens another worker generated as its own, without sending their text again (the
     * caller has it): the sampler's history and the text state (a held-back UTF-8 fragment or stop-string prefix)
     * come out as they were on that worker after the same tokens, so the text of the next token is what it would
     * have sent. If those tokens had already ended the sequence, it ends here with nothing more to send.
     */
    private void resume(Sequence s) {
        for (int token : s.request.resumeTokenIds()) {
            s.sampler.accept(token);
            var step = s.text.accept(token);
            if (step.end().isPresent()) {
                finish(s, step.end().get());
                return;
            }
        }
    }

    /** One new token of a sequence: send it with its text, then decide whether the sequence goes on. */
    private void accept(Sequence s, int token, TokenLogprob logprob) {
        var step = s.text.accept(token);
        send(s, step.text(), token, logprob);
        step.end().ifPresentOrElse(end -> finish(s, end), () -> s.nextToken = token);
    }

    /** A caller whose stream broke is treated as gone: its sequence is cancelled at once. */
    private void send(Sequence s, String text, int token, TokenLogprob logprob) {
        if (s.outcome.isDone()) {
            return;
        }
        try {
            s.sink.accept(text, token, logprob);
        } catch (RuntimeException e) {
            log.debug("Sink of {} failed; cancelling it: {}", s.request.requestId(), e.toString());
            finish(s, new GenerationOutcome.Cancelled(s.text.generated()));
        }
    }

    /** The sequence leaves; its KV cells stay, parked as a prefix the next sequences may start from. */
    private void finish(Sequence s, GenerationOutcome outcome) {
        if (active.remove(s)) {
            try {
                if (s.decoded.size() == 0) {
                    context.forget(s.seqId);
                }
            } finally {
                slots.park(s.seqId, s.decoded.toArray());
                running = active.size();
                // before the caller hears the end: a load report right after it must not count this sequence
                cachedTokens = Math.max(0, cachedTokens - s.position);
                cachedPrefixKeys = prefixKeys();
            }
        }
        s.end(outcome);
    }

    @Override
    public void close() {
        closing = true;
        try {
            loop.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (loop.isAlive()) {
            log.warn("Decode loop of {} did not stop; leaving its llama.cpp context allocated", modelId);
            return;
        }
        context.close();
    }

    @Override
    public String toString() {
        return "ContinuousBatchingEngine[" + modelId + ", " + slots + " slots]";
    }

    /** One sequence's state; touched only by the decode loop after submission. */
    private static final class Sequence {
        final GenerationRequest request;
        final TextSink sink;
        final BooleanSupplier cancelled;
        final CompletableFuture<GenerationOutcome> outcome = new CompletableFuture<>();
        final GeneratedText text;
        /** What goes into the KV cache before the first sample: the prompt, then any resumed tokens. */
        final int[] prefill;
        int seqId = -1;
        /** The tokens in this sequence's KV cells, in position order. */
        final TokenList decoded = new TokenList();
        LlamaSampler sampler;
        int prefilled;
        int position;
        int nextToken = -1;
        int outputIndex = -1;

        Sequence(GenerationRequest request, TextSink sink, BooleanSupplier cancelled, GeneratedText text) {
            this.request = request;
            this.sink = sink;
            this.cancelled = cancelled;
            this.text = text;
            int[] prompt = request.promptTokenIds();
            int[] resumed = request.resumeTokenIds();
            prefill = Arrays.copyOf(prompt, prompt.length + resumed.length);
            System.arraycopy(resumed, 0, prefill, prompt.length, resumed.length);
        }

        boolean cancelled() {
            return cancelled.getAsBoolean();
        }

        /** Completes the outcome and frees the sampler, however the sequence ended (admitted or not). */
        void end(GenerationOutcome ended) {
            if (sampler != null) {
                sampler.close();
            }
            outcome.complete(ended);
        }

        /**
         * The bias of a banned token: far below any logit, but finite. A grammar that has reached its end allows only
         * the end of generation; at minus infinity that token would be as impossible as every other, llama.cpp would
         * draw one the grammar refuses, and its grammar stage would throw, which aborts the process.
         */
        private static final float BANNED = -1e30f;

        /**
         * @param banned tokens never to sample while any other token is allowed (ignore_eos: the end-of-generation
         *               ones), whatever the caller's bias
         */
        LlamaSampler.Settings samplerSettings(int[] banned) {
            var constraints = request.constraints();
            Map<Integer, Float> bias = constraints.logitBias();
            if (banned.length > 0) {
                bias = new HashMap<>(bias);
                for (int token : banned) {
                    bias.put(token, BANNED);
                }
            }
            return new LlamaSampler.Settings(request.temperature(), request.topP(), request.topK(), constraints.minP(),
                    request.seed(), request.frequencyPenalty(), request.presencePenalty(), request.repetitionPenalty(),
                    bias, constraints.grammar());
        }
    }
}
