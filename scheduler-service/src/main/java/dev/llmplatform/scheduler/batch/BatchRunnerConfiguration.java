package dev.llmplatform.scheduler.batch;

import dev.llmplatform.proto.v1.BatchStoreGrpc;
import dev.llmplatform.scheduler.api.SchedulerGrpcService;
import dev.llmplatform.scheduler.config.RegistryFollowingProperties;
import dev.llmplatform.scheduler.domain.OutputLengths;
import dev.llmplatform.scheduler.infra.WorkerPool;
import io.micrometer.core.instrument.MeterRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GrpcChannelFactory;

/**
 * The batch runner, when {@code scheduler.batch.enabled}: the registry's BatchStore over the same channel factory
 * (and so the same identity) as the scheduler's other registry calls, and the scheduler's own gRPC API in process
 * for running the lines.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "scheduler.batch.enabled", havingValue = "true", matchIfMissing = true)
class BatchRunnerConfiguration {

    @Bean
    BatchRunnerLifecycle batchRunner(GrpcChannelFactory channels, RegistryFollowingProperties registry,
                                     SchedulerGrpcService scheduler, BatchRunnerProperties properties, WorkerPool pool,
                                     OutputLengths outputLengths, MeterRegistry meters) throws IOException {
        String name = "scheduler-batch-" + UUID.randomUUID();
        Server server = InProcessServerBuilder.forName(name).addService(scheduler).build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        var runner = new BatchRunner(BatchStoreGrpc.newBlockingStub(channels.createChannel(registry.target())),
                new SchedulerLineExecutor(channel, properties.lineTimeout()), properties,
                new PoolBatchPlanning(pool::snapshot, outputLengths, properties.deadlineShare()), new BatchMetrics(meters));
        return new BatchRunnerLifecycle(runner, server, channel);
    }

    /** Starts the runner once the scheduler is up, and stops it (and the in-process server) before it goes down. */
    static final class BatchRunnerLifecycle implements SmartLifecycle {

        private final BatchRunner runner;
        private final Server server;
        private final ManagedChannel channel;
        private volatile boolean running;

        BatchRunnerLifecycle(BatchRunner runner, Server server, ManagedChannel channel) {
            this.runner = runner;
            this.server = server;
            this.channel = channel;
        }

        @Override
        public void start() {
            runner.start();
            running = true;
        }

        @Override
        public void stop() {
            runner.stop();
            channel.shutdownNow();
            server.shutdownNow();
            try {
                server.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running = false;
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        @Override
        public int getPhase() {
            return Integer.MAX_VALUE - 100; // after the gRPC server has started, stopped before it
        }
    }
}
