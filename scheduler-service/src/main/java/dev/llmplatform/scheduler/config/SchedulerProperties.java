package dev.llmplatform.scheduler.config;

import dev.llmplatform.scheduler.domain.DeviceProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param tokenizerTarget     gRPC target of the tokenizer service
 * @param workers             the worker pool (static discovery; Kubernetes discovery replaces this in a cluster)
 * @param loadReportInterval  how often each worker streams its load
 * @param tokenizerTimeout    deadline of one tokenizer call
 * @param healthCheckInterval how often each worker's gRPC health service is asked (the breaker's probes)
 * @param healthCheckTimeout  deadline of one health check; a late answer counts against the worker's breaker
 * @param deviceProfiles      power and declared speed per profile name; each worker names one (docs/scheduler.md)
 */
@ConfigurationProperties("scheduler")
public record SchedulerProperties(
        @DefaultValue("static://127.0.0.1:9092") String tokenizerTarget,
        @DefaultValue List<Worker> workers,
        @DefaultValue("500ms") Duration loadReportInterval,
        @DefaultValue("10s") Duration tokenizerTimeout,
        @DefaultValue("250ms") Duration healthCheckInterval,
        @DefaultValue("3s") Duration healthCheckTimeout,
        @DefaultValue Map<String, DeviceProfile> deviceProfiles,
        @DefaultValue Placement placement,
        @DefaultValue Admission admission,
        @DefaultValue Breaker breaker,
        @DefaultValue Scaling scaling) {

    /** Built in, so that a worker without a profile of its own is still placed sensibly. */
    static final DeviceProfile CPU = new DeviceProfile(65, 15, 2000, 200);
    static final DeviceProfile GPU = new DeviceProfile(350, 60, 20000, 1500);

    /**
     * @param id      how placements and metrics name the worker
     * @param target  its gRPC target
     * @param pool    the pool it scales with (e.g. cpu, gpu)
     * @param profile the device profile it runs on (a key of device-profiles, or the built-in cpu / gpu)
     * @param tlsName the name its certificate carries, when the target is an address no certificate names (a pod's IP
     *                found by discovery: its Service's DNS name); empty = the target's host
     */
    public record Worker(String id, String target, @DefaultValue("cpu") String pool, @DefaultValue("cpu") String profile,
                         @DefaultValue("") String tlsName) {
    }

    /**
     * @param policy            the deployment's policy when a request names none
     * @param balancedTimeWeight w of the balanced policy: 1 is all time, 0 all energy
     * @param finishWithin      energy-first: the default latest acceptable estimated finish
     * @param speedSmoothing    weight of each new speed sample in the smoothed (EWMA) speeds
     * @param affinityBlockTokens tokens per prefix block of the affinity index
     * @param affinityEntries   prefixes and sessions remembered (least recently used first out)
     * @param outputEstimate    max-tokens: a request is expected to generate its max_tokens; observed: the smoothed
     *                          output length of the model's past requests, capped by max_tokens
     */
    public record Placement(
            @DefaultValue("latency-first") String policy,
            @DefaultValue("0.5") double balancedTimeWeight,
            @DefaultValue("30s") Duration finishWithin,
            @DefaultValue("0.2") double speedSmoothing,
            @DefaultValue("16") int affinityBlockTokens,
            @DefaultValue("100000") int affinityEntries,
            @DefaultValue("observed") String outputEstimate) {
    }

    /**
     * @param maxQueued          requests that may wait in the scheduler for a slot; beyond that RESOURCE_EXHAUSTED
     * @param maxQueueWait       the longest a request waits before it is refused
     * @param workerQueue        requests the scheduler lets wait on one worker beyond its slots (the rest wait
     *                           here, where priorities apply)
     * @param retryAfterUnavailable the retry hint when no worker is ready
     */
    public record Admission(
            @DefaultValue("256") int maxQueued,
            @DefaultValue("30s") Duration maxQueueWait,
            @DefaultValue("1") int workerQueue,
            @DefaultValue("5s") Duration retryAfterUnavailable) {
    }

    /** Per-worker circuit breaker (Resilience4j), fed by generation failures and health checks. */
    public record Breaker(
            @DefaultValue("10") int slidingWindowSize,
            @DefaultValue("3") int minimumNumberOfCalls,
            @DefaultValue("50") float failureRateThreshold,
            @DefaultValue("5s") Duration waitInOpenState,
            @DefaultValue("2") int probesInHalfOpenState) {
    }

    /**
     * @param latencyObjective the mean response time each pool should meet (the replica estimate's R*)
     * @param maxReplicas      the largest replica count the estimate recommends
     * @param rateSmoothing    weight of each one-second sample in the arrival and token rates
     */
    public record Scaling(
            @DefaultValue("10s") Duration latencyObjective,
            @DefaultValue("64") int maxReplicas,
            @DefaultValue("0.1") double rateSmoothing) {
    }

    public DeviceProfile profile(String name) {
        DeviceProfile declared = deviceProfiles.get(name);
        if (declared != null) {
            return declared;
        }
        return switch (name) {
            case "cpu" -> CPU;
            case "gpu" -> GPU;
            default -> throw new IllegalArgumentException("unknown device profile '" + name + "'; declare it under scheduler.device-profiles");
        };
    }
}
