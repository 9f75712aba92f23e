package dev.llmplatform.scheduler.infra;

import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.proto.v1.WatchLoadRequest;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/**
 * The workers and their latest load. Each worker streams its load reports (WatchLoad); a broken stream marks the
 * worker not ready at once and is re-opened after a short pause, so placement never waits on a poll.
 */
@Component
public class WorkerPool implements InitializingBean, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);
    private static final long RECONNECT_MILLIS = 1000;

    private final SchedulerProperties properties;
    private final GrpcChannelFactory channels;
    private final Map<String, Channel> channelById = new LinkedHashMap<>();
    private final Map<String, LoadReport> reports = new ConcurrentHashMap<>();
    private final ScheduledExecutorService reconnects = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("worker-watch").daemon(true).factory());
    private final Map<String, Context.CancellableContext> watches = new ConcurrentHashMap<>();

    public WorkerPool(SchedulerProperties properties, GrpcChannelFactory channels) {
        this.properties = properties;
        this.channels = channels;
    }

    @Override
    public void afterPropertiesSet() {
        for (SchedulerProperties.Worker worker : properties.workers()) {
            channelById.put(worker.id(), channels.createChannel(worker.target()));
            reports.put(worker.id(), down(worker.id()));
            watch(worker.id());
        }
    }

    public Collection<WorkerSnapshot> snapshot() {
        return reports.entrySet().stream().map(e -> toSnapshot(e.getKey(), e.getValue())).toList();
    }

    /** Every model that a ready worker serves, with the workers serving it. */
    public Map<LoadedModel, List<String>> servedModels() {
        Map<String, LoadedModel> models = new LinkedHashMap<>();
        Map<String, List<String>> workers = new LinkedHashMap<>();
        reports.forEach((workerId, report) -> {
            if (report.getReady()) {
                report.getModelsList().forEach(m -> {
                    models.putIfAbsent(m.getId(), m);
                    workers.computeIfAbsent(m.getId(), k -> new java.util.ArrayList<>()).add(workerId);
                });
            }
        });
        Map<LoadedModel, List<String>> served = new LinkedHashMap<>();
        models.forEach((id, m) -> served.put(m, List.copyOf(workers.get(id))));
        return served;
    }

    /** The ready workers that serve the model, least busy first (running plus waiting per slot). */
    public List<String> readyWorkersServing(String model) {
        return reports.entrySet().stream()
                .filter(e -> e.getValue().getReady() && e.getValue().getModelsList().stream().anyMatch(m -> m.getId().equals(model)))
                .sorted(java.util.Comparator.comparingDouble(e -> toSnapshot(e.getKey(), e.getValue()).utilisation()))
                .map(Map.Entry::getKey)
                .toList();
    }

    /** Whether any worker, ready or not, has reported serving the model: "unavailable" rather than "unknown". */
    public boolean anyWorkerReported(String model) {
        return reports.values().stream().anyMatch(r -> r.getModelsList().stream().anyMatch(m -> m.getId().equals(model)));
    }

    public Optional<Channel> channel(String workerId) {
        return Optional.ofNullable(channelById.get(workerId));
    }

    private void watch(String workerId) {
        var context = Context.current().withCancellation();
        watches.put(workerId, context);
        context.run(() -> InferenceWorkerGrpc.newStub(channelById.get(workerId)).watchLoad(
                WatchLoadRequest.newBuilder().setIntervalMillis((int) properties.loadReportInterval().toMillis()).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(LoadReport report) {
                        reports.put(workerId, report);
                    }

                    @Override
                    public void onError(Throwable t) {
                        // keep what it served, so that its models read as "unavailable", not "unknown"
                        reports.computeIfPresent(workerId, (id, last) -> last.toBuilder().setReady(false)
                                .setRunning(0).setWaiting(0).setNotReadyReason(String.valueOf(t.getMessage())).build());
                        log.debug("Load stream of worker {} broke: {}", workerId, t.getMessage());
                        reconnectLater(workerId);
                    }

                    @Override
                    public void onCompleted() {
                        reconnectLater(workerId);
                    }
                }));
    }

    private void reconnectLater(String workerId) {
        if (!reconnects.isShutdown()) {
            reconnects.schedule(() -> watch(workerId), RECONNECT_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    static WorkerSnapshot toSnapshot(String workerId, LoadReport report) {
        Map<String, Integer> contexts = report.getModelsList().stream()
                .collect(Collectors.toMap(LoadedModel::getId, LoadedModel::getContextLength, (a, b) -> a));
        return new WorkerSnapshot(workerId, report.getDeviceClass().name(), report.getReady(), contexts,
                report.getRunning(), report.getWaiting(), report.getSlots(), report.getDecodeTokensPerSecond());
    }

    private static LoadReport down(String workerId) {
        return LoadReport.newBuilder().setWorkerId(workerId).setReady(false).setNotReadyReason("no load report").build();
    }

    @Override
    public void destroy() {
        reconnects.shutdownNow();
        watches.values().forEach(c -> c.cancel(null));
    }
}
