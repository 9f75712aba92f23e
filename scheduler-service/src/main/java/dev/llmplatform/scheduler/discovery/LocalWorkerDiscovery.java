package dev.llmplatform.scheduler.discovery;

import dev.llmplatform.scheduler.config.SchedulerProperties;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Component;

/**
 * The local counterpart of {@link KubernetesWorkerDiscovery}: finds the worker replicas that {@code ./platform scale}
 * started, one replica file {@code <name>.properties} each in a directory ({@code id}, {@code target}, {@code pool},
 * {@code profile}, {@code tls-name}). The directory is read every refreshInterval and each change of the set is handed to
 * the {@link WorkerMembership}; a file that disappears is a replica scaled away. Polling rather than a WatchService:
 * half a second is soon enough for a replica that takes seconds to load its model, and a poll cannot miss an event.
 * The launcher writes each file under a name that does not end in {@code .properties} and renames it, so a file is
 * never read half written.
 */
@Component
@Profile("!kubernetes")
@ConditionalOnExpression("!'${scheduler.discovery.local.directory:}'.isBlank()")
public class LocalWorkerDiscovery implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LocalWorkerDiscovery.class);
    static final String SUFFIX = ".properties";

    private final LocalWorkerDiscoveryProperties properties;
    private final ObjectProvider<WorkerMembership> membership;
    private final AtomicReference<List<SchedulerProperties.Worker>> current = new AtomicReference<>(List.of());
    private volatile ScheduledExecutorService refresher;

    public LocalWorkerDiscovery(LocalWorkerDiscoveryProperties properties, ObjectProvider<WorkerMembership> membership) {
        this.properties = properties;
        this.membership = membership;
    }

    /** The replicas whose files are in the directory now, sorted by id; none when there is no directory (yet). */
    public List<SchedulerProperties.Worker> discover() throws IOException {
        Path directory = Path.of(properties.directory());
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        List<SchedulerProperties.Worker> workers = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).sorted().toList()) {
                read(file).ifPresent(workers::add);
            }
        }
        workers.sort(Comparator.comparing(SchedulerProperties.Worker::id));
        return List.copyOf(workers);
    }

    /** One replica file; empty when it was removed meanwhile or lacks an id or target (it is skipped, not fatal). */
    private static Optional<SchedulerProperties.Worker> read(Path file) throws IOException {
        Properties replica = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            replica.load(reader);
        } catch (NoSuchFileException scaledDownMeanwhile) {
            return Optional.empty();
        }
        String id = replica.getProperty("id", "").strip();
        String target = replica.getProperty("target", "").strip();
        if (id.isEmpty() || target.isEmpty()) {
            log.warn("Replica file {} has no id or target; skipped", file);
            return Optional.empty();
        }
        String pool = replica.getProperty("pool", "cpu").strip();
        return Optional.of(new SchedulerProperties.Worker(id, target, pool,
                replica.getProperty("profile", pool).strip(), replica.getProperty("tls-name", "").strip()));
    }

    /** The last set handed to the membership. */
    public List<SchedulerProperties.Worker> current() {
        return current.get();
    }

    /** Reads the directory again; hands the set on when it changed. A failed read keeps the last set. */
    public synchronized void refresh() {
        List<SchedulerProperties.Worker> found;
        try {
            found = discover();
        } catch (IOException | RuntimeException e) {
            log.warn("Reading the replica files in {} failed, keeping the {} replicas known: {}", properties.directory(),
                    current.get().size(), e.toString());
            return;
        }
        if (!found.equals(current.getAndSet(found))) {
            log.info("Discovered local worker replicas: {}", found);
            membership.ifAvailable(m -> m.discovered(found));
        }
    }

    @Override
    public void start() {
        log.info("Watching {} for local worker replicas", Path.of(properties.directory()).toAbsolutePath());
        refresher = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("local-worker-discovery").daemon(true).factory());
        refresher.scheduleWithFixedDelay(this::refresh, 0, properties.refreshInterval().toMillis(), TimeUnit.MILLISECONDS);
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
