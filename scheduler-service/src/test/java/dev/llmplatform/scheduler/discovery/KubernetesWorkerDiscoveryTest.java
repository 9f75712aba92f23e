package dev.llmplatform.scheduler.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmplatform.scheduler.SchedulerApplication;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import dev.llmplatform.scheduler.infra.WorkerPool;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointAddressBuilder;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The scheduler under the "kubernetes" profile against the fabric8 mock API server (CRUD mode): Spring Cloud
 * Kubernetes reads its ConfigMap (and reloads it on change), and KubernetesWorkerDiscovery turns the ready endpoints of this release's worker
 * Services into the WorkerPool's workers, following scale-up and scale-down.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesWorkerDiscoveryTest {

    private static final String NAMESPACE = "llm";
    private static final String RELEASE = "llm-platform";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static KubernetesMockServer server;
    private static KubernetesClient kubernetes;
    private static ConfigurableApplicationContext scheduler;
    // a loopback port where nothing listens: the pool opens channels there, which stay not ready
    private static int deadPort;

    @BeforeAll
    static void start() throws IOException {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getByName("127.0.0.1"), 0);
        kubernetes = server.createClient();
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }

        kubernetes.configMaps().inNamespace(NAMESPACE).resource(new ConfigMapBuilder()
                .withNewMetadata().withName(RELEASE + "-scheduler-service").endMetadata()
                .addToData("application.yaml", "scheduler:\n  load-report-interval: 750ms\nllm-platform:\n  reload-probe: first\n")
                .build()).create();
        workerService(RELEASE + "-inference-cpu-service", RELEASE, "cpu",
                List.of(address("127.0.0.11", "uid-a"), address("127.0.0.12", "uid-b")), List.of(address("127.0.0.13", "uid-c")));
        workerService("other-inference-cpu-service", "other", "cpu", List.of(address("127.0.0.21", "uid-other")), List.of());
        plainService(RELEASE + "-gateway", List.of(address("127.0.0.31", "uid-gateway")));

        scheduler = SpringApplication.run(SchedulerApplication.class,
                "--spring.profiles.active=kubernetes",
                "--spring.main.cloud-platform=kubernetes",
                "--spring.cloud.kubernetes.client.master-url=" + kubernetes.getConfiguration().getMasterUrl(),
                "--spring.cloud.kubernetes.client.namespace=" + NAMESPACE,
                "--spring.cloud.kubernetes.client.trust-certs=true",
                "--spring.cloud.kubernetes.config.name=" + RELEASE + "-scheduler-service",
                "--scheduler.discovery.kubernetes.instance-label=" + RELEASE,
                "--scheduler.discovery.kubernetes.refresh-interval=200ms",
                "--server.port=0", "--server.address=127.0.0.1",
                "--spring.grpc.server.port=0", "--spring.grpc.server.address=127.0.0.1",
                "--scheduler.tokenizer-target=static://127.0.0.1:" + deadPort,
                "--logging.level.io.fabric8.mockwebserver=WARN");
    }

    @AfterAll
    static void stop() {
        if (scheduler != null) {
            scheduler.close();
        }
        if (kubernetes != null) {
            kubernetes.close();
        }
        if (server != null) {
            server.destroy();
        }
    }

    @Test
    void configurationComesFromTheServicesConfigMap() {
        assertThat(scheduler.getBean(SchedulerProperties.class).loadReportInterval()).isEqualTo(Duration.ofMillis(750));
    }

    @Test
    @Order(Integer.MAX_VALUE) // last: a refresh touches the whole context
    void aChangedConfigMapIsReloadedIntoTheEnvironment() {
        assertThat(scheduler.getEnvironment().getProperty("llm-platform.reload-probe")).isEqualTo("first");
        kubernetes.configMaps().inNamespace(NAMESPACE).withName(RELEASE + "-scheduler-service").edit(c -> new ConfigMapBuilder(c)
                .addToData("application.yaml", "scheduler:\n  load-report-interval: 750ms\nllm-platform:\n  reload-probe: second\n")
                .build());
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(scheduler.getEnvironment().getProperty("llm-platform.reload-probe")).isEqualTo("second"));
    }

    @Test
    void theLaptopsStaticWorkerDoesNotApplyInTheCluster() {
        assertThat(scheduler.getBean(SchedulerProperties.class).workers()).isEmpty();
    }

    @Test
    void readyPodsOfThisReleasesWorkerServicesBecomeWorkersAndFollowScaling() {
        var discovery = scheduler.getBean(KubernetesWorkerDiscovery.class);
        var pool = scheduler.getBean(WorkerPool.class);
        // reached at pod IPs, verified against the Service's name that the worker's certificate carries
        String serviceDnsName = RELEASE + "-inference-cpu-service." + NAMESPACE + ".svc";

        await().atMost(WAIT).untilAsserted(() -> assertThat(discovery.current()).containsExactly(
                new SchedulerProperties.Worker("uid-a", "static://127.0.0.11:" + deadPort, "cpu", "cpu", serviceDnsName),
                new SchedulerProperties.Worker("uid-b", "static://127.0.0.12:" + deadPort, "cpu", "cpu", serviceDnsName)));
        await().atMost(WAIT).untilAsserted(() -> assertThat(workerIds(pool)).containsExactlyInAnyOrder("uid-a", "uid-b"));
        // nothing listens there: the workers are known but not ready
        assertThat(pool.snapshot()).noneMatch(WorkerSnapshot::available);

        // scale down: pod b leaves the endpoints; scale up: pod d joins
        workerService(RELEASE + "-inference-cpu-service", RELEASE, "cpu",
                List.of(address("127.0.0.11", "uid-a"), address("127.0.0.14", "uid-d")), List.of());
        await().atMost(WAIT).untilAsserted(() -> assertThat(discovery.current())
                .extracting(SchedulerProperties.Worker::id).containsExactly("uid-a", "uid-d"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(workerIds(pool)).containsExactlyInAnyOrder("uid-a", "uid-d"));
        assertThat(pool.channel("uid-b")).isEmpty();
        assertThat(pool.channel("uid-d")).isPresent();
    }

    private static List<String> workerIds(WorkerPool pool) {
        return pool.snapshot().stream().map(WorkerSnapshot::id).toList();
    }

    private static EndpointAddress address(String ip, String podUid) {
        return new EndpointAddressBuilder().withIp(ip)
                .withNewTargetRef().withKind("Pod").withName("pod-" + podUid).withUid(podUid).withNamespace(NAMESPACE).endTargetRef()
                .build();
    }

    /** A worker Service as the chart renders it, with the Endpoints the endpoints controller keeps (labels copied). */
    private static void workerService(String name, String release, String pool, List<EndpointAddress> ready,
            List<EndpointAddress> notReady) {
        Map<String, String> labels = Map.of("app.kubernetes.io/instance", release, "llm-platform/role", "worker",
                "llm-platform/pool", pool);
        kubernetes.services().inNamespace(NAMESPACE).resource(new ServiceBuilder()
                .withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withType("ClusterIP")
                .addNewPort().withName("http").withPort(8083).endPort()
                .addNewPort().withName("grpc").withPort(9093).endPort()
                .endSpec().build()).createOr(NonDeletingOperation::update);
        kubernetes.endpoints().inNamespace(NAMESPACE).resource(new EndpointsBuilder()
                .withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .addNewSubset().withAddresses(ready).withNotReadyAddresses(notReady)
                .addNewPort().withName("http").withPort(8083).endPort()
                .addNewPort().withName("grpc").withPort(deadPort).endPort()
                .endSubset().build()).createOr(NonDeletingOperation::update);
    }

    private static void plainService(String name, List<EndpointAddress> ready) {
        Map<String, String> labels = Map.of("app.kubernetes.io/instance", RELEASE);
        kubernetes.services().inNamespace(NAMESPACE).resource(new ServiceBuilder()
                .withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withType("ClusterIP").addNewPort().withName("http").withPort(8080).endPort().endSpec()
                .build()).createOr(NonDeletingOperation::update);
        kubernetes.endpoints().inNamespace(NAMESPACE).resource(new EndpointsBuilder()
                .withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .addNewSubset().withAddresses(ready).addNewPort().withName("http").withPort(8080).endPort().endSubset()
                .build()).createOr(NonDeletingOperation::update);
    }
}
