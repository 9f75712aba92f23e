package dev.llmplatform.scheduler.infra;

import dev.llmplatform.scheduler.domain.Placement;
import dev.llmplatform.scheduler.domain.PlacementPolicy;
import dev.llmplatform.scheduler.domain.PlacementRequest;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

/**
 * A request between admission and its answer, whatever its kind: what placement needs to choose a worker, the
 * workers that already failed it, and what admission keeps while it waits. {@link AdmissionControl} places it;
 * the kind's relay ({@link GenerationRelay}, {@link EmbeddingRelay}) runs it on the chosen worker.
 */
public abstract class AdmittedRequest {

    private final PlacementPolicy policy;
    private final int priority;
    private final PlacementRequest placement;
    private final Context context = Context.current();
    private final Set<String> failed = new HashSet<>();
    private volatile boolean callerGone;
    long queuedAt;
    ScheduledFuture<?> queueTimeout;

    protected AdmittedRequest(PlacementPolicy policy, int priority, PlacementRequest placement) {
        this.policy = policy;
        this.priority = priority;
        this.placement = placement;
    }

    /** Runs the request on the worker placement chose; called in the caller's gRPC context. */
    protected abstract void start(Placement.Placed placed);

    /** Ends the call with an error (refused, or failed where no other worker can take over). */
    protected abstract void fail(StatusRuntimeException error);

    /** Kept for logs: the caller's request id. */
    protected abstract String requestId();

    public PlacementPolicy policy() {
        return policy;
    }

    public int priority() {
        return priority;
    }

    public String model() {
        return placement.model();
    }

    /** What placement was first asked, without the failed workers. */
    public PlacementRequest placement() {
        return placement;
    }

    /** What placement is asked now: the workers that failed this request are out. */
    PlacementRequest placementRequest() {
        synchronized (failed) {
            return failed.isEmpty() ? placement : placement.excluding(failed);
        }
    }

    /** The worker failed this request (before its first token, or mid-stream): it is not asked again for it. */
    void failedOn(String workerId) {
        synchronized (failed) {
            failed.add(workerId);
        }
    }

    Context context() {
        return context;
    }

    boolean callerGone() {
        return callerGone;
    }

    void markCallerGone() {
        callerGone = true;
    }

    void cancelTimeout() {
        var timeout = queueTimeout;
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}
