package dev.llmplatform.scheduler.infra;

import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.scheduler.domain.AffinityIndex;
import dev.llmplatform.scheduler.domain.CostModel;
import dev.llmplatform.scheduler.domain.OutputLengths;
import dev.llmplatform.scheduler.domain.Placement;
import dev.llmplatform.scheduler.domain.PlacementPolicy;
import dev.llmplatform.scheduler.domain.PlacementRequest;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Runs an admitted generation request on the worker placement chose and relays its stream to the caller. A worker
 * that fails (UNAVAILABLE: it died, its connection broke, its engine stopped) is recorded on its circuit breaker and
 * the request goes back to admission for another worker. Before the first token that is a plain failover; after it,
 * a resume: the next worker gets the prompt plus the ids of every token relayed so far, continues from there (same
 * sampling: see worker.proto) and sends only what follows, so the caller sees one stream with nothing repeated or
 * missing. When no worker can take it over, the caller gets the error after the text it already has. Per token it
 * does the least it can: the worker's fields copied into the caller's message, the token ids kept, and the worker's
 * outstanding work counted down.
 */
@Component
public class GenerationRelay {

    private static final Logger log = LoggerFactory.getLogger(GenerationRelay.class);

    private final WorkerPool pool;
    private final AdmissionControl admission;
    private final SchedulerMetrics metrics;
    private final PoolStatistics statistics;
    private final AffinityIndex affinity;
    private final OutputLengths outputLengths;

    public GenerationRelay(WorkerPool pool, AdmissionControl admission, SchedulerMetrics metrics, PoolStatistics statistics,
                           AffinityIndex affinity, OutputLengths outputLengths) {
        this.pool = pool;
        this.admission = admission;
        this.metrics = metrics;
        this.statistics = statistics;
        this.affinity = affinity;
        this.outputLengths = outputLengths;
    }

    /**
     * Admits a request whose prompt is tokenized and whose max_tokens is resolved. Must be called while the
     * caller's service method runs (it takes the call's flow-control handlers).
     */
    public void submit(WorkerGenerateRequest request, ServerCallStreamObserver<ScheduleGenerateChunk> caller, PlacementPolicy policy,
                       int priority, String sessionId, double finishWithinSeconds) {
        admission.submit(new GenerationJob(request, new CallerStream(caller), policy, priority, sessionId, finishWithinSeconds));
    }

    /** One generation request from admission to its last chunk. */
    private final class GenerationJob extends AdmittedRequest {
        private final WorkerGenerateRequest request;
        private final CallerStream caller;
        private final String sessionId;
        private final long[] prefixKeys;
        /**
         * Ids of the tokens relayed to the caller, in order: what a resume starts from. Touched by one attempt at a
         * time (the next starts after the previous one ended), hence no lock.
         */
        private final List<Integer> relayed = new ArrayList<>();
        /** Tokens relayed to the caller, whoever generated them. */
        private int generated;
        /** False once a worker sent a chunk without its token ids (an older worker): then nothing can be resumed. */
        private boolean resumable = true;
        private volatile ClientCallStreamObserver<WorkerGenerateRequest> workerCall;

        GenerationJob(WorkerGenerateRequest request, CallerStream caller, PlacementPolicy policy, int priority,
                      String sessionId, double finishWithinSeconds) {
            this(request, caller, policy, priority, sessionId, affinity.prefixKeys(request.getPromptTokenIdsList()), finishWithinSeconds);
        }

        private GenerationJob(WorkerGenerateRequest request, CallerStream caller, PlacementPolicy policy, int priority,
                              String sessionId, long[] prefixKeys, double finishWithinSeconds) {
            super(policy, priority, placementOf(request, sessionId, prefixKeys, finishWithinSeconds));
            this.request = request;
            this.caller = caller;
            this.sessionId = sessionId;
            this.prefixKeys = prefixKeys;
            caller.onCancel(() -> {
                admission.cancelled(this);
                var current = workerCall;
                if (current != null) {
                    current.cancel("the caller went away", null);
                }
            });
        }

        @Override
        protected void start(Placement.Placed placed) {
            WorkerSnapshot snapshot = placed.worker();
            PooledWorker worker = pool.worker(snapshot.id()).orElseThrow();
            var attempt = new Attempt(this, worker, snapshot.inFlight() < snapshot.slots() && relayed.isEmpty(), relayed.size(),
                    placed.estimate().joules());
            worker.placed(attempt.prefillTokens, attempt.expectedOutputTokens);
            affinity.record(prefixKeys, sessionId, placement().promptTokens(), worker.id());
            metrics.placed(policy().name(), worker.pool(), placed.estimate().finishSeconds());
            statistics.arrived(worker.pool());
            var sent = relayed.isEmpty() ? request : request.toBuilder().addAllResumeTokenIds(relayed).build();
            InferenceWorkerGrpc.newStub(worker.channel()).generate(sent, attempt);
        }

        /** Once text was relayed, any refusal means the worker that had the request failed and none could resume it. */
        @Override
        protected void fail(StatusRuntimeException error) {
            if (relayed.isEmpty()) {
                caller.fail(error);
                return;
            }
            Status cause = error.getStatus();
            caller.fail(Status.UNAVAILABLE.withDescription("the worker generating this answer failed after " + relayed.size()
                            + " tokens and no other worker could resume it: " + cause.getDescription())
                    .asRuntimeException(error.getTrailers()));
        }

        @Override
        protected String requestId() {
            return request.getRequestId();
        }
    }

    private PlacementRequest placementOf(WorkerGenerateRequest request, String sessionId, long[] prefixKeys, double finishWithinSeconds) {
        List<Integer> prompt = request.getPromptTokenIdsList();
        // where requests went (the index, which knows placements the workers have not reported yet), and what the
        // workers report their KV caches hold, whichever says more
        Map<String, Integer> cached = new HashMap<>(affinity.cachedTokens(prefixKeys, sessionId, prompt.size()));
        for (PooledWorker worker : pool.workers()) {
            int reported = worker.reportedCachedTokens(prefixKeys, affinity.blockTokens());
            if (reported > 0) {
                cached.merge(worker.id(), Math.min(reported, prompt.size()), Math::max);
            }
        }
        return new PlacementRequest(request.getModel(), prompt.size(),
                outputLengths.expected(request.getModel(), request.getSampling().getMaxTokens()), finishWithinSeconds,
                cached, Set.of());
    }

    /** The stream from one worker. gRPC calls its methods one at a time. */
    private final class Attempt implements ClientResponseObserver<WorkerGenerateRequest, WorkerGenerateChunk> {

        private final GenerationJob job;
        private final PooledWorker worker;
        private final boolean hadFreeSlot;
        /** What this worker prefills (the prompt, and on a resume the tokens relayed before) and is expected to decode. */
        private final int prefillTokens;
        private final int expectedOutputTokens;
        /** The cost model's energy for this attempt when it was placed [J]. */
        private final double estimatedJoules;
        private final long sent = System.nanoTime();
        private long firstToken;
        private long lastToken;
        private int tokens;
        private boolean finished;

        Attempt(GenerationJob job, PooledWorker worker, boolean hadFreeSlot, int resumedTokens, double estimatedJoules) {
            this.job = job;
            this.estimatedJoules = estimatedJoules;
            this.worker = worker;
            this.hadFreeSlot = hadFreeSlot;
            this.prefillTokens = job.placement().promptTokens() + resumedTokens;
            this.expectedOutputTokens = Math.max(0, job.placement().expectedOutputTokens() - resumedTokens);
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<WorkerGenerateRequest> requestStream) {
            job.workerCall = requestStream;
        }

        @Override
        public void onNext(WorkerGenerateChunk chunk) {
            long now = System.nanoTime();
            var out = ScheduleGenerateChunk.newBuilder()
                    .setText(chunk.getText())
                    .setTokenCount(chunk.getTokenCount())
                    .setFinishReason(chunk.getFinishReason())
                    .addAllLogprobs(chunk.getLogprobsList());
            if (chunk.hasUsage()) {
                out.setUsage(chunk.getUsage()).setEstimatedJoules(estimatedJoules)
                        .setMeasuredJoules(worker.snapshot().profile().dynamicWatts() * (now - sent) / 1e9);
            }
            var placement = job.placement();
            if (firstToken == 0) {
                firstToken = now;
                out.setWorkerId(worker.id());
                worker.prefilled(prefillTokens);
                worker.breaker().onSuccess(now - sent, TimeUnit.NANOSECONDS);
                if (hadFreeSlot) {
                    worker.measuredPrefill(placement.promptTokens() - placement.cachedPromptTokens().getOrDefault(worker.id(), 0),
                            now - sent);
                }
            }
            job.generated += chunk.getTokenCount();
            if (chunk.getTokenIdsCount() == chunk.getTokenCount()) {
                job.relayed.addAll(chunk.getTokenIdsList());
            } else {
                job.resumable = false;
            }
            if (chunk.getTokenCount() > 0) {
                int expectedLeft = expectedOutputTokens - tokens;
                worker.decoded(Math.max(0, Math.min(chunk.getTokenCount(), expectedLeft)));
                tokens += chunk.getTokenCount();
                lastToken = now;
                statistics.relayed(worker.pool(), chunk.getTokenCount());
            }
            job.caller.send(out);
        }

        /** Takes this attempt's outstanding work off the worker, once. */
        private void finish() {
            if (finished) {
                return;
            }
            finished = true;
            worker.finished(firstToken == 0 ? prefillTokens : 0, Math.max(0, expectedOutputTokens - tokens));
            admission.slotMayBeFree();
        }

        @Override
        public void onError(Throwable t) {
            finish();
            Status status = Status.fromThrowable(t);
            if (job.callerGone()) {
                return;
            }
            if (status.getCode() == Status.Code.UNAVAILABLE) {
                worker.breaker().onError(System.nanoTime() - sent, TimeUnit.NANOSECONDS, t);
            }
            boolean workerUnusable = status.getCode() == Status.Code.UNAVAILABLE
                    || status.getCode() == Status.Code.RESOURCE_EXHAUSTED;
            if (workerUnusable && (firstToken == 0 || job.resumable)) {
                if (job.relayed.isEmpty()) {
                    log.warn("Worker {} failed request {} before its first token ({}); placing it elsewhere",
                            worker.id(), job.requestId(), status);
                    metrics.failover();
                } else {
                    log.warn("Worker {} failed request {} after {} tokens ({}); resuming it elsewhere",
                            worker.id(), job.requestId(), job.relayed.size(), status);
                    metrics.resume();
                }
                job.failedOn(worker.id());
                job.workerCall = null;
                admission.resubmit(job);
                return;
            }
            job.caller.fail(status.asRuntimeException());
        }

        @Override
        public void onCompleted() {
            finish();
            double seconds = (System.nanoTime() - sent) / 1e9;
            if (tokens > 1 && lastToken > firstToken) {
                worker.measuredDecode(tokens - 1, lastToken - firstToken);
            }
            outputLengths.finished(job.request.getModel(), job.generated);
            int promptTokens = job.placement().promptTokens();
            double joules = CostModel.joules(worker.snapshot(), promptTokens, tokens);
            metrics.finished(worker.pool(), seconds, joules, promptTokens + tokens);
            statistics.completed(worker.pool(), seconds);
            job.caller.complete();
        }
    }
}
