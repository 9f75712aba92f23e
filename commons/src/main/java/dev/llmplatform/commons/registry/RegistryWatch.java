package dev.llmplatform.commons.registry;

import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.proto.v1.WatchModelsRequest;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * Follows the registry's WatchModels stream on a thread of its own: every model's state first, then each change
 * as it is committed (a promotion moves the production alias, so Model.artifacts changes). When the stream breaks
 * (registry restarting, not up yet) it reconnects every {@code retry} and starts again from a snapshot, so a
 * handler must treat each event as "this model is now in this state", which also makes repeated events harmless.
 */
public final class RegistryWatch implements AutoCloseable {

    private final Channel registry;
    private final Duration retry;
    private final Consumer<ModelEvent> onEvent;
    private final Consumer<String> onWait;
    private final Thread thread;
    private volatile Context.CancellableContext call;
    private volatile boolean closed;

    private RegistryWatch(Channel registry, Duration retry, Consumer<ModelEvent> onEvent, Consumer<String> onWait, String name) {
        this.registry = registry;
        this.retry = retry;
        this.onEvent = onEvent;
        this.onWait = onWait;
        this.thread = Thread.ofVirtual().name(name).unstarted(this::run);
    }

    /**
     * @param onEvent called on the watch thread, one event at a time, in commit order
     * @param onWait  hears why the stream is not open (each failed attempt)
     */
    public static RegistryWatch start(Channel registry, Duration retry, Consumer<ModelEvent> onEvent, Consumer<String> onWait, String name) {
        var watch = new RegistryWatch(registry, retry, onEvent, onWait, name);
        watch.thread.start();
        return watch;
    }

    private void run() {
        var stub = ModelRegistryGrpc.newBlockingStub(registry);
        while (!closed) {
            var context = Context.current().withCancellation();
            call = context;
            try {
                context.run(() -> {
                    Iterator<ModelEvent> events = stub.watchModels(WatchModelsRequest.getDefaultInstance());
                    while (events.hasNext()) {
                        onEvent.accept(events.next());
                    }
                });
                if (!closed) {
                    onWait.accept("the registry ended the model watch");
                }
            } catch (StatusRuntimeException e) {
                if (!closed) {
                    onWait.accept(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
                }
            } finally {
                context.cancel(null);
            }
            try {
                if (!closed) {
                    Thread.sleep(retry);
                }
            } catch (InterruptedException e) {
                return;
            }
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
