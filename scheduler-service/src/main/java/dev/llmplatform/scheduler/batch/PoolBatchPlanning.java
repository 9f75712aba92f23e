package dev.llmplatform.scheduler.batch;

import dev.llmplatform.scheduler.domain.BatchPlanner;
import dev.llmplatform.scheduler.domain.CostModel;
import dev.llmplatform.scheduler.domain.OutputLengths;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Plans with the seeds' divisible-work model ({@link BatchPlanner}) over the pool as the scheduler sees it now. The
 * unit of work is one line of the batch's mean size. On worker i a line takes t_i = p / q_i + d / r_i (the cost
 * model's service time with i's measured prefill and decode speeds) and costs (W_load,i − W_idle,i) · t_i joules;
 * with k lines in flight on it, i runs k / t_i lines per second. Once i has finished a few of the batch's lines, their
 * mean wall time replaces t_i: the plans that follow use what the lines really take.
 *
 * <p>Energy-first plans against a share of the window ({@code deadlineShare}), so that a plan made from smoothed
 * speeds still ends in time when the speeds dip or interactive traffic takes slots; latency-first ignores the
 * window.
 */
public final class PoolBatchPlanning implements BatchPlanning {

    private final Supplier<List<WorkerSnapshot>> pool;
    private final OutputLengths outputLengths;
    private final double deadlineShare;
    private final BatchPlanner planner = new BatchPlanner();

    public PoolBatchPlanning(Supplier<List<WorkerSnapshot>> pool, OutputLengths outputLengths, double deadlineShare) {
        if (!(deadlineShare > 0 && deadlineShare <= 1)) {
            throw new IllegalArgumentException("deadline share must be in (0, 1], got " + deadlineShare);
        }
        this.pool = pool;
        this.outputLengths = outputLengths;
        this.deadlineShare = deadlineShare;
    }

    @Override
    public Optional<LinePlan> plan(Request request) {
        if (request.lines() <= 0) {
            return Optional.empty();
        }
        List<BatchPlanner.Platform> platforms = new ArrayList<>();
        double linesPerSecond = 0;
        int prompt = (int) Math.ceil(request.promptTokensPerLine());
        int output = Double.isNaN(request.outputTokensPerLine())
                ? outputLengths.expected(request.model(), request.maxTokensPerLine())
                : (int) Math.ceil(request.outputTokensPerLine());
        for (WorkerSnapshot worker : pool.get()) {
            if (!worker.serves(request.model())) {
                continue;
            }
            Double measured = request.lineSeconds().get(worker.id());
            double lineSeconds = Math.max(1e-6, measured != null ? measured : CostModel.serviceSeconds(worker, prompt, 0, output));
            int parallel = Math.max(1, Math.min(Math.max(1, worker.slots()), request.linesPerWorker()));
            double speed = parallel / lineSeconds;
            platforms.add(new BatchPlanner.Platform(worker.id(), speed, 1 / (worker.profile().dynamicWatts() * lineSeconds)));
            linesPerSecond += speed;
        }
        if (platforms.isEmpty()) {
            return Optional.empty();
        }
        var tasks = List.of(new BatchPlanner.Task("lines", request.lines()));
        double earliest = request.lines() / linesPerSecond;
        double horizon = request.secondsLeft() * deadlineShare;
        boolean energy = ENERGY_FIRST.equals(request.objective());
        BatchPlanner.Plan plan = energy && earliest <= horizon
                ? planner.minimiseEnergy(tasks, platforms, horizon)
                : planner.minimiseMakespan(tasks, platforms);
        Map<String, Double> shares = new HashMap<>();
        plan.allocations().forEach(a -> shares.merge(a.platformId(), a.units() / request.lines(), Double::sum));
        return Optional.of(new LinePlan(request.objective(), request.model(), request.lines(), shares, plan.makespanSeconds(),
                plan.joules(), earliest, request.secondsLeft()));
    }
}
