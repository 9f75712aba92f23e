package dev.llmplatform.commons.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/** Answers a server-streaming call with a fresh value every interval until the caller cancels. */
public final class PeriodicStream {

    private static final long MIN_INTERVAL_MILLIS = 100;
    private static final long DEFAULT_INTERVAL_MILLIS = 1000;

    private PeriodicStream() {
    }

    /** @param requestedMillis the caller's interval; 0 means the default, and too short is raised to 100 ms */
    public static <T> void start(StreamObserver<T> responses, long requestedMillis, Supplier<T> next) {
        var call = (ServerCallStreamObserver<T>) responses;
        long interval = Math.max(MIN_INTERVAL_MILLIS, requestedMillis > 0 ? requestedMillis : DEFAULT_INTERVAL_MILLIS);
        Thread.ofVirtual().name("periodic-stream").start(() -> {
            try {
                while (!call.isCancelled()) {
                    call.onNext(next.get());
                    Thread.sleep(interval);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException callClosedUnderUs) {
                // the caller went away between the check and the send; it reconnects if it wants more
            }
        });
    }
}
