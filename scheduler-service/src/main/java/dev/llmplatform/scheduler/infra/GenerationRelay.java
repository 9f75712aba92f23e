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
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Runs an admitted generation request on the worker placement chose and relays its stream to the caller. A worker
 * that fails before the first token is recorded on its circuit breaker and the request goes back to admission for
 * another worker; once text has been relayed the failure goes to the caller, since a retry would repeat text it
 * already has. Per token it does the least it can: the worker's fields copied into the caller's message, and the
 * worker's outstanding work counted down.
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
            var placement = placement();
            worker.placed(placement.promptTokens(), placement.expectedOutputTokens());
            affinity.record(prefixKeys, sessionId, placement.promptTokens(), worker.id());
            metrics.placed(policy().name(), worker.pool(), placed.estimate().finishSeconds());
            statistics.arrived(worker.pool());
            InferenceWorkerGrpc.newStub(worker.channel()).generate(request, new Attempt(this, worker, snapshot.inFlight() < snapshot.slots()));
        }

        @Override
        protected void fail(StatusRuntimeException error) {
            caller.fail(error);
        }

        @Override
        protected String requestId() {
            return request.getRequestId();
        }
    }

    private PlacementRequest placementOf(WorkerGenerateRequest request, String sessionId, long[] prefixKeys, double finishWithinSeconds) {
        List<Integer> prompt = request.getPromptTokenIdsList();
        return new PlacementRequest(request.getModel(), prompt.size(),
                outputLengths.expected(request.getModel(), request.getSampling().getMaxTokens()), finishWithinSeconds,
                affinity.cachedTokens(prefixKeys, sessionId, prompt.size()), Set.of());
    }

    /** The stream from one worker. gRPC calls its methods one at a time. */
    private final class Attempt implements ClientResponseObserver<WorkerGenerateRequest, WorkerGenerateChunk> {

        private final GenerationJob job;
        private final PooledWorker worker;
        private final boolean hadFreeSlot;
        private final long sent = System.nanoTime();
        private long firstToken;
        private long lastToken;
        private int tokens;
        private boolean finished;

        Attempt(GenerationJob job, PooledWorker worker, boolean hadFreeSlot) {
            this.job = job;
            this.worker = worker;
            this.hadFreeSlot = hadFreeSlot;
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
                    .setFinishReason(chunk.getFinishReason());
            if (chunk.hasUsage()) {
                out.setUsage(chunk.getUsage());
            }
            var placement = job.placement();
            if (firstToken == 0) {
                firstToken = now;
                out.setWorkerId(worker.id());
                worker.prefilled(placement.promptTokens());
                worker.breaker().onSuccess(now - sent, TimeUnit.NANOSECONDS);
                if (hadFreeSlot) {
                    worker.measuredPrefill(placement.promptTokens() - placement.cachedPromptTokens().getOrDefault(worker.id(), 0),
                            now - sent);
                }
            }
            if (chunk.getTokenCount() > 0) {
                int expectedLeft = placement.expectedOutputTokens() - tokens;
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
            worker.finished(firstToken == 0 ? job.placement().promptTokens() : 0,
                    Math.max(0, job.placement().expectedOutputTokens() - tokens));
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
            if (firstToken == 0 && workerUnusable) {
                log.warn("Worker {} failed request {} before its first token ({}); placing it elsewhere",
                        worker.id(), job.requestId(), status);
                metrics.failover();
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
            outputLengths.finished(job.request.getModel(), tokens);
            int promptTokens = job.placement().promptTokens();
            double joules = CostModel.joules(worker.snapshot(), promptTokens, tokens);
            metrics.finished(worker.pool(), seconds, joules, promptTokens + tokens);
            statistics.completed(worker.pool(), seconds);
            job.caller.complete();
        }
    }
}
