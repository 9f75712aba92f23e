package dev.llmplatform.bench.jmh;

import dev.llmplatform.scheduler.domain.BalancedPolicy;
import dev.llmplatform.scheduler.domain.DeviceProfile;
import dev.llmplatform.scheduler.domain.EnergyFirstPolicy;
import dev.llmplatform.scheduler.domain.LatencyFirstPolicy;
import dev.llmplatform.scheduler.domain.LeastLoadedPolicy;
import dev.llmplatform.scheduler.domain.Placement;
import dev.llmplatform.scheduler.domain.PlacementRequest;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One placement decision over a pool of 10, 100 and 1,000 workers: a mixed CPU/GPU pool with varied speeds and
 * loads, a tenth of it unavailable or serving another model, and a request with a cached prefix on one worker
 * and one worker excluded (as after a failover), through the policies' public API (the scheduler's plain jar). Run
 * with tools/bench/placement-decision.sh.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PlacementDecisionBenchmark {

    @Param({"10", "100", "1000"})
    int workers;

    private List<WorkerSnapshot> pool;
    private PlacementRequest request;
    private final LatencyFirstPolicy latencyFirst = new LatencyFirstPolicy();
    private final EnergyFirstPolicy energyFirst = new EnergyFirstPolicy();
    private final BalancedPolicy balanced = new BalancedPolicy(0.5);
    private final LeastLoadedPolicy leastLoaded = new LeastLoadedPolicy();

    @Setup
    public void setUp() {
        var random = new Random(42);
        var cpu = new DeviceProfile(65, 15, 2000, 200);
        var gpu = new DeviceProfile(350, 60, 20000, 1500);
        pool = new ArrayList<>(workers);
        for (int i = 0; i < workers; i++) {
            boolean isGpu = i % 4 == 0;
            int slots = isGpu ? 32 : 8;
            int outstanding = random.nextInt(slots + 2);
            pool.add(new WorkerSnapshot("w" + i, isGpu ? "gpu" : "cpu", i % 10 != 3, Map.of(i % 10 == 7 ? "other" : "m", 4096),
                    Math.min(outstanding, slots), Math.max(0, outstanding - slots), slots, 2,
                    (isGpu ? 20000 : 2000) * (0.5 + random.nextDouble()), (isGpu ? 1500 : 200) * (0.5 + random.nextDouble()),
                    random.nextDouble(), isGpu ? gpu : cpu, outstanding, outstanding * 100L, outstanding * 150L));
        }
        request = new PlacementRequest("m", 300, 200, 30, Map.of("w5", 256), Set.of("w1"));
    }

    @Benchmark
    public Placement latencyFirst() {
        return latencyFirst.select(request, pool);
    }

    @Benchmark
    public Placement energyFirst() {
        return energyFirst.select(request, pool);
    }

    @Benchmark
    public Placement balanced() {
        return balanced.select(request, pool);
    }

    @Benchmark
    public Placement leastLoaded() {
        return leastLoaded.select(request, pool);
    }
}
