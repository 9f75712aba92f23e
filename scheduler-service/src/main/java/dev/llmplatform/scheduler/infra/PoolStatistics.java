package dev.llmplatform.scheduler.infra;

import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import dev.llmplatform.scheduler.domain.Ewma;
import dev.llmplatform.scheduler.domain.ReplicaEstimator;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Per worker pool: arrival rate, relayed tokens per second and mean request time, smoothed over one-second
 * samples, and from them the replica count that would meet the latency objective (ReplicaEstimator), exported as
 * scheduler.desired.replicas, scheduler.pool.tokens.per.second and scheduler.workers.ready.
 */
@Component
public class PoolStatistics implements DisposableBean {

    private static final long TICK_MILLIS = 1000;

    private final class Pool {
        final String name;
        final AtomicLong arrivals = new AtomicLong();
        final AtomicLong tokens = new AtomicLong();
        final Ewma requestSeconds = Ewma.unseeded(properties.scaling().rateSmoothing());
        // written by the tick thread only; a rate of zero is a sample too, so these are smoothed here
        volatile double arrivalRate;
        volatile double tokenRate;
        volatile int desiredReplicas = 1;

        Pool(String name) {
            this.name = name;
        }

        void tick() {
            double weight = properties.scaling().rateSmoothing();
            double seconds = TICK_MILLIS / 1000.0;
            arrivalRate += weight * (arrivals.getAndSet(0) / seconds - arrivalRate);
            tokenRate += weight * (tokens.getAndSet(0) / seconds - tokenRate);
            int slots = (int) Math.round(pool.workers().stream().filter(w -> w.pool().equals(name))
                    .map(PooledWorker::report).mapToInt(LoadReport::getSlots).filter(s -> s > 0).average().orElse(1));
            double service = requestSeconds.value();
            desiredReplicas = ReplicaEstimator.desiredReplicas(arrivalRate, Double.isNaN(service) ? 0 : service, slots,
                    properties.scaling().latencyObjective().toMillis() / 1000.0, properties.scaling().maxReplicas());
        }
    }

    private final SchedulerProperties properties;
    private final WorkerPool pool;
    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("pool-statistics").daemon(true).factory());

    public PoolStatistics(SchedulerProperties properties, WorkerPool pool, MeterRegistry meters) {
        this.properties = properties;
        this.pool = pool;
        for (SchedulerProperties.Worker worker : properties.workers()) {
            pools.computeIfAbsent(worker.pool(), Pool::new);
        }
        pools.values().forEach(p -> {
            Gauge.builder("scheduler.desired.replicas", p, x -> x.desiredReplicas).tag("pool", p.name)
                    .description("replicas that would meet the latency objective at the current arrival rate (M/M/c)")
                    .register(meters);
            Gauge.builder("scheduler.pool.tokens.per.second", p, x -> x.tokenRate).tag("pool", p.name)
                    .description("output tokens per second relayed from the pool's workers").register(meters);
            Gauge.builder("scheduler.workers.ready", pool, x -> x.workers().stream()
                    .filter(w -> w.pool().equals(p.name) && w.available()).count()).tag("pool", p.name).register(meters);
        });
        ticks.scheduleAtFixedRate(() -> pools.values().forEach(Pool::tick), TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    public void arrived(String poolName) {
        Pool p = pools.get(poolName);
        if (p != null) {
            p.arrivals.incrementAndGet();
        }
    }

    public void relayed(String poolName, int tokens) {
        Pool p = pools.get(poolName);
        if (p != null) {
            p.tokens.addAndGet(tokens);
        }
    }

    public void completed(String poolName, double seconds) {
        Pool p = pools.get(poolName);
        if (p != null) {
            p.requestSeconds.add(seconds);
        }
    }

    public int desiredReplicas(String poolName) {
        Pool p = pools.get(poolName);
        return p == null ? 0 : p.desiredReplicas;
    }

    @Override
    public void destroy() {
        ticks.shutdownNow();
    }
}
