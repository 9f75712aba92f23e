package dev.llmplatform.registry.infra;

import dev.llmplatform.registry.config.RegistryProperties;
import dev.llmplatform.registry.domain.ModelChange;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.Stage;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Turns the change log into events for watchers (WatchModels). A watcher first gets every model's current state,
 * then each committed change with the model's state after it. Changes made here reach watchers at once (the
 * operations signal the feed after each commit); changes committed by another registry replica are found by
 * reading the log every poll interval. Also keeps the {@code registry.models} gauge (versions per stage) current.
 */
@Component
public class ModelChangeFeed implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ModelChangeFeed.class);

    /**
     * @param kind  empty for the snapshot a watcher gets when it subscribes
     * @param model the model after the change; empty when it was deleted
     */
    public record Event(long revision, String modelId, Optional<ModelChange.Kind> kind, String version, Optional<RegisteredModel> model) {
    }

    @FunctionalInterface
    public interface Listener {
        void onEvent(Event event);

        /** Every model's current state has been sent: a watcher may now drop what it knew and was not sent. */
        default void onSnapshotEnd(long revision) {
        }
    }

    @FunctionalInterface
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private final ModelStore store;
    private final RegistryProperties.Watch settings;
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    private final Semaphore signal = new Semaphore(0);
    private final Map<Stage, Long> versionsPerStage = new ConcurrentHashMap<>(new EnumMap<>(Stage.class));
    private volatile boolean running;
    private volatile Thread poller;
    private long lastRevision;
    private Instant lastPrune = Instant.EPOCH;

    public ModelChangeFeed(ModelStore store, RegistryProperties properties, MeterRegistry meters) {
        this.store = store;
        this.settings = properties.watch();
        for (Stage stage : Stage.values()) {
            versionsPerStage.put(stage, 0L);
            Gauge.builder("registry.models", versionsPerStage, counts -> counts.getOrDefault(stage, 0L))
                    .description("Model versions in each lifecycle stage").tag("stage", stage.label()).register(meters);
        }
    }

    /** Sends the current state of every model, then every later change, to {@code listener} until closed. */
    public Subscription subscribe(Listener listener) {
        var subscriber = new Subscriber(listener);
        subscribers.add(subscriber);
        synchronized (subscriber) {
            ModelStore.Snapshot snapshot = store.snapshot();
            for (RegisteredModel model : snapshot.models()) {
                listener.onEvent(new Event(snapshot.revision(), model.id(), Optional.empty(), "", Optional.of(model)));
            }
            listener.onSnapshotEnd(snapshot.revision());
            subscriber.after = snapshot.revision();
        }
        return () -> subscribers.remove(subscriber);
    }

    /** Called after a commit: look at the log now rather than at the next poll. */
    public void changed() {
        signal.release();
    }

    public int subscribers() {
        return subscribers.size();
    }

    private void poll() {
        while (running) {
            try {
                signal.tryAcquire(settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                signal.drainPermits();
                publishNewChanges();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("Cannot read the change log: {}", e.getMessage());
            }
        }
    }

    private void publishNewChanges() {
        var changes = store.changesAfter(lastRevision);
        for (ModelChange change : changes) {
            var event = new Event(change.revision(), change.modelId(), Optional.of(change.kind()), change.version(),
                    store.findById(change.modelId()));
            subscribers.forEach(s -> s.deliver(event));
            lastRevision = change.revision();
        }
        if (!changes.isEmpty() || lastPrune == Instant.EPOCH) {
            versionsPerStage.putAll(store.versionsPerStage());
        }
        if (Duration.between(lastPrune, Instant.now()).compareTo(Duration.ofMinutes(5)) > 0) {
            lastPrune = Instant.now();
            store.pruneChanges(settings.keepChanges());
        }
    }

    private final class Subscriber {
        private final Listener listener;
        private long after = Long.MAX_VALUE;

        Subscriber(Listener listener) {
            this.listener = listener;
        }

        synchronized void deliver(Event event) {
            if (event.revision() <= after) {
                return;
            }
            try {
                listener.onEvent(event);
                after = event.revision();
            } catch (RuntimeException e) {
                log.debug("Dropping a watcher that failed to take an event: {}", e.getMessage());
                subscribers.remove(this);
            }
        }
    }

    @Override
    public void start() {
        lastRevision = store.snapshot().revision();
        running = true;
        poller = Thread.ofVirtual().name("model-change-feed").start(this::poll);
    }

    @Override
    public void stop() {
        running = false;
        Thread thread = poller;
        if (thread != null) {
            thread.interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
