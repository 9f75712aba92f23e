package dev.llmplatform.scheduler.discovery;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Discovery of worker pods in Kubernetes (profile "kubernetes").
 *
 * @param enabled         off: only the statically configured workers (scheduler.workers)
 * @param roleLabel       the label that marks a worker Service
 * @param roleValue       its value on worker Services
 * @param instanceLabel   when set, only Services whose app.kubernetes.io/instance label has this value (the Helm
 *                        release), so that two releases in one namespace keep their workers apart
 * @param portName        the Service port that carries the workers' gRPC API
 * @param refreshInterval how often the discovery asks again (a catalog change event asks at once)
 */
@ConfigurationProperties("scheduler.discovery.kubernetes")
public record KubernetesWorkerDiscoveryProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("llm-platform/role") String roleLabel,
        @DefaultValue("worker") String roleValue,
        @DefaultValue("") String instanceLabel,
        @DefaultValue("grpc") String portName,
        @DefaultValue("5s") Duration refreshInterval) {
}
