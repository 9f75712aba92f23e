package dev.llmplatform.scheduler.discovery;

import dev.llmplatform.scheduler.config.SchedulerProperties;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.cloud.client.discovery.event.HeartbeatEvent;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Profile;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Finds the workers through Spring Cloud Kubernetes' DiscoveryClient: every ready endpoint (pod) of a Service
 * labelled llm-platform/role=worker is one worker, addressed at its pod IP and the Service's gRPC port, and named
 * after the pod's uid (which the chart also gives the worker as its WORKER_WORKERID). Autoscaled pools join and leave
 * by themselves: the set is asked for every refreshInterval and at once on a catalog change (HeartbeatEvent), and
 * each change is handed to the {@link WorkerMembership}.
 */
@Component
@Profile("kubernetes")
@ConditionalOnProperty(prefix = "scheduler.discovery.kubernetes", name = "enabled", matchIfMissing = true)
public class KubernetesWorkerDiscovery implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(KubernetesWorkerDiscovery.class);
    private static final String INSTANCE_LABEL = "app.kubernetes.io/instance";
    private static final String POOL_LABEL = "llm-platform/pool";
    private static final String PORT_METADATA_PREFIX = "port.";

    private final DiscoveryClient discovery;
    private final KubernetesWorkerDiscoveryProperties properties;
    private final ObjectProvider<WorkerMembership> membership;
    private final AtomicReference<List<SchedulerProperties.Worker>> current = new AtomicReference<>(List.of());
    private volatile ScheduledExecutorService refresher;

    public KubernetesWorkerDiscovery(DiscoveryClient discovery, KubernetesWorkerDiscoveryProperties properties,
            ObjectProvider<WorkerMembership> membership) {
        this.discovery = discovery;
        this.properties = properties;
        this.membership = membership;
    }

    /** The workers found now, sorted by id. */
    public List<SchedulerProperties.Worker> discover() {
        List<SchedulerProperties.Worker> workers = new ArrayList<>();
        for (String service : discovery.getServices()) {
            for (ServiceInstance instance : discovery.getInstances(service)) {
                if (isWorker(instance.getMetadata())) {
                    // the chart labels each worker Service with its pool (cpu, gpu); the pool names the device profile too
                    String pool = instance.getMetadata().getOrDefault(POOL_LABEL, "cpu");
                    workers.add(new SchedulerProperties.Worker(instance.getInstanceId(),
                            "static://" + instance.getHost() + ":" + grpcPort(instance), pool, pool, tlsName(instance)));
                }
            }
        }
        workers.sort(Comparator.comparing(SchedulerProperties.Worker::id));
        return List.copyOf(workers);
    }

    /**
     * The worker is reached at its pod's IP, which no certificate names; its certificate carries its Service's DNS
     * name ({@code <service>.<namespace>.svc}), which the channel verifies instead.
     */
    static String tlsName(ServiceInstance instance) {
        if (instance instanceof org.springframework.cloud.kubernetes.commons.discovery.KubernetesServiceInstance k
                && k.getNamespace() != null && !k.getNamespace().isBlank()) {
            return instance.getServiceId() + "." + k.getNamespace() + ".svc";
        }
        return instance.getServiceId();
    }

    /** The last set handed to the membership. */
    public List<SchedulerProperties.Worker> current() {
        return current.get();
    }

    /** Asks again; hands the set on when it changed. Failures keep the last set (the API server may blink). */
    public synchronized void refresh() {
        List<SchedulerProperties.Worker> found;
        try {
            found = discover();
        } catch (RuntimeException e) {
            log.warn("Worker discovery failed, keeping the {} workers known: {}", current.get().size(), e.toString());
            return;
        }
        if (!found.equals(current.getAndSet(found))) {
            log.info("Discovered workers: {}", found);
            membership.ifAvailable(m -> m.discovered(found));
        }
    }

    @EventListener(HeartbeatEvent.class)
    void onCatalogChange() {
        if (isRunning()) {
            refresh();
        }
    }

    private boolean isWorker(Map<String, String> metadata) {
        if (!properties.roleValue().equals(metadata.get(properties.roleLabel()))) {
            return false;
        }
        return properties.instanceLabel().isEmpty() || properties.instanceLabel().equals(metadata.get(INSTANCE_LABEL));
    }

    /** The named port from the instance's port metadata ("port.grpc"); the instance's own port when absent. */
    private int grpcPort(ServiceInstance instance) {
        String port = instance.getMetadata().get(PORT_METADATA_PREFIX + properties.portName());
        return port != null ? Integer.parseInt(port) : instance.getPort();
    }

    @Override
    public void start() {
        if (membership.getIfAvailable() == null) {
            log.warn("No WorkerMembership bean: discovered workers are logged but not used for placement");
        }
        refresher = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("worker-discovery").daemon(true).factory());
        long millis = properties.refreshInterval().toMillis();
        refresher.scheduleWithFixedDelay(this::refresh, 0, millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        ScheduledExecutorService r = refresher;
        refresher = null;
        if (r != null) {
            r.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return refresher != null;
    }
}
