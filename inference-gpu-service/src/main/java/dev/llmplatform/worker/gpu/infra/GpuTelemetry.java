package dev.llmplatform.worker.gpu.infra;

import dev.llmplatform.worker.gpu.config.GpuWorkerProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Reads the GPUs' utilisation, memory and power draw every {@code worker.telemetry-interval} and exports them as
 * {@code worker.gpu.utilization}, {@code worker.gpu.memory.used.bytes} and {@code worker.gpu.power.watts} {gpu};
 * the latest reading also goes into every load report as the worker's hardware profile.
 */
@Component
public class GpuTelemetry {

    private final GpuProbe probe;
    private final GpuWorkerProperties properties;
    private final MeterRegistry meters;
    private final Map<Integer, GpuProbe.Gpu> latest = new ConcurrentHashMap<>();
    private volatile String lastReason = "not read yet";
    private volatile Thread poller;

    public GpuTelemetry(GpuProbe probe, GpuWorkerProperties properties, MeterRegistry meters) {
        this.probe = probe;
        this.properties = properties;
        this.meters = meters;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        refresh();
        poller = Thread.ofVirtual().name("gpu-telemetry").start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(properties.telemetryInterval());
                    refresh();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    public void stop() {
        if (poller != null) {
            poller.interrupt();
        }
    }

    /** Reads the devices now; registers the gauges of a GPU the first time it is seen. */
    public void refresh() {
        switch (probe.discover()) {
            case GpuProbe.Discovery.Found found -> {
                for (GpuProbe.Gpu gpu : found.gpus()) {
                    if (latest.put(gpu.index(), gpu) == null) {
                        register(gpu.index());
                    }
                }
                lastReason = "";
            }
            case GpuProbe.Discovery.NotFound notFound -> lastReason = notFound.reason();
        }
    }

    private void register(int index) {
        String tag = Integer.toString(index);
        Gauge.builder("worker.gpu.utilization", latest, m -> m.get(index).utilisationPercent() / 100.0)
                .tag("gpu", tag).description("GPU busy ratio (0..1)").register(meters);
        Gauge.builder("worker.gpu.memory.used.bytes", latest, m -> m.get(index).memoryUsedMib() * 1024.0 * 1024.0)
                .tag("gpu", tag).baseUnit("bytes").register(meters);
        Gauge.builder("worker.gpu.power.watts", latest, m -> m.get(index).powerWatts())
                .tag("gpu", tag).baseUnit("watts").register(meters);
    }

    public List<GpuProbe.Gpu> gpus() {
        return latest.values().stream().sorted(java.util.Comparator.comparingInt(GpuProbe.Gpu::index)).toList();
    }

    /** Why no GPU could be read the last time, or empty. */
    public String lastReason() {
        return lastReason;
    }
}
