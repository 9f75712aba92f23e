package dev.llmplatform.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;

/** A service's three loopback ports: its internal HTTP (mutual TLS) port, its gRPC port and its plain management port. */
public record Ports(int http, int grpc, int management) {

    /** Three loopback ports free now and not in {@code handedOut}, to which they are added. */
    public static Ports free(Set<Integer> handedOut) {
        return new Ports(freePort(handedOut), freePort(handedOut), freePort(handedOut));
    }

    /**
     * A port free now and never handed out before by the same caller: a service binds its ports only seconds after
     * they are chosen, and until then the system may offer the same free port again.
     */
    public static int freePort(Set<Integer> handedOut) {
        while (true) {
            try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (handedOut.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
