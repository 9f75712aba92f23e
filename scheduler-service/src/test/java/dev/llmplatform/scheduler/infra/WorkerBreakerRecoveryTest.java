package dev.llmplatform.scheduler.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.proto.v1.WatchLoadRequest;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.grpc.client.ChannelBuilderOptions;
import org.springframework.grpc.client.GrpcChannelFactory;

/** A worker's breaker is brought back by its health checks, not by the wait in the open state nor by client requests. */
class WorkerBreakerRecoveryTest {

    private final HealthStatusManager health = new HealthStatusManager();
    private Server server;
    private WorkerPool pool;

    @AfterEach
    void stop() {
        if (pool != null) {
            pool.destroy();
        }
        if (server != null) {
            server.shutdownNow();
        }
    }

    @Test
    void anOpenBreakerClosesAtTheFirstServingHealthCheckLongBeforeItsOpenStateRunsOut() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).addService(new InferenceWorkerGrpc.InferenceWorkerImplBase() {
            @Override
            public void watchLoad(WatchLoadRequest request, StreamObserver<LoadReport> responses) {
                responses.onNext(LoadReport.newBuilder().setWorkerId("w1").setDeviceClass(DeviceClass.DEVICE_CLASS_CPU).setReady(true)
                        .setSlots(2).addModels(LoadedModel.newBuilder().setId("m").setContextLength(256)).build());
            }
        }).addService(health.getHealthService()).build().start();
        health.setStatus("", HealthCheckResponse.ServingStatus.NOT_SERVING);
        var properties = new Binder(new MapConfigurationPropertySource(Map.of(
                "scheduler.workers[0].id", "w1", "scheduler.workers[0].target", name,
                "scheduler.health-check-interval", "100ms", "scheduler.breaker.wait-in-open-state", "60s")))
                .bindOrCreate("scheduler", SchedulerProperties.class);
        pool = new WorkerPool(properties, new GrpcChannelFactory() {
            @Override
            public boolean supports(String target) {
                return true;
            }

            @Override
            public ManagedChannel createChannel(String target, ChannelBuilderOptions options) {
                return InProcessChannelBuilder.forName(target).build();
            }
        }, CircuitBreakerRegistry.ofDefaults());
        pool.afterPropertiesSet();
        CircuitBreaker breaker = pool.worker("w1").orElseThrow().breaker();
        breaker.transitionToOpenState(); // as after a crash

        Thread.sleep(300); // a few checks while the worker is not serving: still open
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

        health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (breaker.getState() != CircuitBreaker.State.CLOSED && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }

        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(pool.snapshot().getFirst().available()).isTrue();
    }
}
