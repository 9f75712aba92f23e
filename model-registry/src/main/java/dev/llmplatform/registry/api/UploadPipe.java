package dev.llmplatform.registry.api;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The chunks of a client-streaming upload as an {@link InputStream}, with gRPC flow control: the next chunk is
 * requested only when the reader has taken the previous one, so at most one or two chunks are ever held, however
 * large the file.
 */
final class UploadPipe extends InputStream {

    private static final Object END = new Object();

    private final ServerCallStreamObserver<?> call;
    private final Duration idleTimeout;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private ByteString current = ByteString.EMPTY;
    private int position;
    private boolean ended;

    UploadPipe(ServerCallStreamObserver<?> call, Duration idleTimeout) {
        this.call = call;
        this.idleTimeout = idleTimeout;
    }

    void chunk(ByteString data) {
        queue.add(data);
    }

    void end() {
        queue.add(END);
    }

    void fail(Throwable cause) {
        queue.add(cause);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (position == current.size()) {
            if (ended) {
                return -1;
            }
            Object next;
            try {
                next = queue.poll(idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("upload interrupted");
            }
            if (next == null) {
                throw new IOException("no data for " + idleTimeout.toSeconds() + " s; upload abandoned");
            } else if (next == END) {
                ended = true;
            } else if (next instanceof Throwable t) {
                throw new IOException("the upload was cancelled: " + t.getMessage(), t);
            } else {
                current = (ByteString) next;
                position = 0;
                call.request(1);
            }
        }
        int n = Math.min(length, current.size() - position);
        current.copyTo(buffer, position, offset, n);
        position += n;
        return n;
    }
}
