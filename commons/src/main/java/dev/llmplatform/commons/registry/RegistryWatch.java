package dev.llmplatform.commons.registry;

import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.proto.v1.WatchModelsRequest;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the registry's WatchModels stream on a thread of its own: every model's state first, then each change
 * as it is committed (a promotion moves the production alias, so Model.artifacts changes). When the stream breaks
 * (registry restarting, not up yet) it reconnects every {@code retry} and starts again from a snapshot, so a
 * handler must treat each event as "this model is now in this state", which also makes repeated events harmless.
 *
 * <p>The watch remembers the last known state. When the registry marks the end of a snapshot, every model it
 * remembered and the registry did not send is reported deleted (it was deleted while the stream was down). With a
 * {@link SavedRegistryState}, that state is also kept on disk after each change; a service that starts while the
 * registry cannot be reached hears the saved state, once, as a snapshot, and so serves what it served before.
 */
public final class RegistryWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryWatch.class);

    private final Channel registry;
    private final Duration retry;
    private final Optional<SavedRegistryState> saved;
    private final Consumer<ModelEvent> onEvent;
    private final Consumer<String> onWait;
    private final Thread thread;
    /** Touched by the watch thread only. */
    private final Map<String, Model> known = new HashMap<>();
    private boolean heardTheRegistry;
    private boolean replayedSavedState;
    private volatile Context.CancellableContext call;
    private volatile boolean closed;

    private RegistryWatch(Channel registry, Duration retry, Optional<SavedRegistryState> saved, Consumer<ModelEvent> onEvent,
                          Consumer<String> onWait, String name) {
        this.registry = registry;
        this.retry = retry;
        this.saved = saved;
        this.onEvent = onEvent;
        this.onWait = onWait;
        this.thread = Thread.ofVirtual().name(name).unstarted(this::run);
    }

    /**
     * @param onEvent called on the watch thread, one event at a time, in commit order
     * @param onWait  hears why the stream is not open (each failed attempt)
     */
    public static RegistryWatch start(Channel registry, Duration retry, Consumer<ModelEvent> onEvent, Consumer<String> onWait, String name) {
        return start(registry, retry, Optional.empty(), onEvent, onWait, name);
    }

    /** The same, keeping the last known state in {@code saved} and falling back on it while the registry is out of reach. */
    public static RegistryWatch start(Channel registry, Duration retry, Optional<SavedRegistryState> saved, Consumer<ModelEvent> onEvent,
                                      Consumer<String> onWait, String name) {
        var watch = new RegistryWatch(registry, retry, saved, onEvent, onWait, name);
        watch.thread.start();
        return watch;
    }

    private void run() {
        var stub = ModelRegistryGrpc.newBlockingStub(registry);
        while (!closed) {
            var context = Context.current().withCancellation();
            call = context;
            try {
                context.run(() -> follow(stub.watchModels(WatchModelsRequest.getDefaultInstance())));
                if (!closed) {
                    onWait.accept("the registry ended the model watch");
                }
            } catch (StatusRuntimeException e) {
                if (!closed) {
                    replaySavedStateOnce();
                    onWait.accept(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
                }
            } finally {
                context.cancel(null);
            }
            try {
                if (!closed) {
                    Thread.sleep(retry);
                    // the next attempt dials now rather than after the channel's own backoff (up to minutes)
                    if (registry instanceof ManagedChannel managed) {
                        managed.resetConnectBackoff();
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void follow(Iterator<ModelEvent> events) {
        Set<String> inSnapshot = new HashSet<>();
        boolean snapshotComplete = false;
        while (events.hasNext()) {
            ModelEvent event = events.next();
            heardTheRegistry = true;
            if (event.getKind() == ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT_END) {
                for (String gone : List.copyOf(known.keySet())) {
                    if (!inSnapshot.contains(gone)) {
                        deliver(ModelEvent.newBuilder().setRevision(event.getRevision()).setModelId(gone)
                                .setKind(ModelChangeKind.MODEL_CHANGE_KIND_DELETED).build());
                    }
                }
                snapshotComplete = true;
                save();
                continue;
            }
            if (event.getKind() == ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT) {
                inSnapshot.add(event.getModelId());
            }
            deliver(event);
            if (snapshotComplete) {
                save();
            }
        }
    }

    private void deliver(ModelEvent event) {
        if (event.hasModel()) {
            known.put(event.getModelId(), event.getModel());
        } else {
            known.remove(event.getModelId());
        }
        onEvent.accept(event);
    }

    /** Only before the registry was ever heard: after that, what this watch knows is newer than the file. */
    private void replaySavedStateOnce() {
        if (saved.isEmpty() || heardTheRegistry || replayedSavedState) {
            return;
        }
        replayedSavedState = true;
        List<Model> models;
        try {
            models = saved.get().read();
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot read the saved registry state {}: {}", saved.get().file(), e.getMessage());
            return;
        }
        if (models.isEmpty()) {
            return;
        }
        log.info("The registry is out of reach: using its last known state saved in {} ({} models) until it answers",
                saved.get().file(), models.size());
        for (Model model : models) {
            deliver(ModelEvent.newBuilder().setModelId(model.getId()).setKind(ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT)
                    .setModel(model).build());
        }
    }

    private void save() {
        if (saved.isEmpty()) {
            return;
        }
        try {
            saved.get().write(known.values());
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot save the registry state to {}: {}", saved.get().file(), e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        Context.CancellableContext current = call;
        if (current != null) {
            current.cancel(null);
        }
        thread.interrupt();
    }
}
