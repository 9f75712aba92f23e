package dev.llmplatform.scheduler.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.scheduler.config.SchedulerProperties;
import dev.llmplatform.scheduler.config.SchedulerProperties.Worker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.grpc.client.ChannelBuilderOptions;
import org.springframework.grpc.client.GrpcChannelFactory;

/** Discovered workers join and leave the pool; the configured one stays; one found at a new address is replaced. */
class WorkerPoolMembershipTest {

    private WorkerPool pool;

    @AfterEach
    void stop() {
        if (pool != null) {
            pool.destroy();
        }
    }

    @Test
    void aReplicaFoundAgainAtAnotherAddressGetsANewChannelAndOneFoundUnchangedKeepsItsOwn() {
        pool = pool();
        pool.discovered(List.of(new Worker("cpu-2", "replica-a", "cpu", "cpu", "")));
        var first = pool.channel("cpu-2").orElseThrow();

        pool.discovered(List.of(new Worker("cpu-2", "replica-a", "cpu", "cpu", "")));
        assertThat(pool.channel("cpu-2")).containsSame(first);

        pool.discovered(List.of(new Worker("cpu-2", "replica-b", "cpu", "cpu", "")));
        assertThat(pool.channel("cpu-2").orElseThrow()).isNotSameAs(first);
        assertThat(((ManagedChannel) first).isShutdown()).as("the old address's channel").isTrue();
    }

    @Test
    void aReplicaMissingFromTheSetLeavesAndTheConfiguredWorkerStays() {
        pool = pool();
        pool.discovered(List.of(new Worker("cpu-2", "replica-a", "cpu", "cpu", ""), new Worker("cpu-3", "replica-c", "cpu", "cpu", "")));
        assertThat(pool.workers()).extracting(PooledWorker::id).containsExactly("cpu-0", "cpu-2", "cpu-3");

        pool.discovered(List.of(new Worker("cpu-3", "replica-c", "cpu", "cpu", "")));
        assertThat(pool.workers()).extracting(PooledWorker::id).containsExactly("cpu-0", "cpu-3");

        pool.discovered(List.of());
        assertThat(pool.workers()).extracting(PooledWorker::id).containsExactly("cpu-0");
    }

    private static WorkerPool pool() {
        var properties = new Binder(new MapConfigurationPropertySource(Map.of(
                "scheduler.workers[0].id", "cpu-0", "scheduler.workers[0].target", "configured")))
                .bindOrCreate("scheduler", SchedulerProperties.class);
        var pool = new WorkerPool(properties, new GrpcChannelFactory() {
            @Override
            public boolean supports(String target) {
                return true;
            }

            @Override
            public ManagedChannel createChannel(String target, ChannelBuilderOptions options) {
                // nothing serves these names: the workers stay unready, which is all membership needs
                return InProcessChannelBuilder.forName(target).build();
            }
        }, CircuitBreakerRegistry.ofDefaults());
        pool.afterPropertiesSet();
        return pool;
    }
}
