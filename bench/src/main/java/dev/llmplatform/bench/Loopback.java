package dev.llmplatform.bench;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** The benchmark sends load; by default only to this machine, so that nobody's service is load-tested by mistake. */
final class Loopback {

    private Loopback() {
    }

    /** @throws IllegalArgumentException when {@code host} is not a loopback address and that was not allowed */
    static void require(String host, boolean allowNonLoopback) {
        if (allowNonLoopback) {
            return;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (!address.isLoopbackAddress()) {
                    throw new IllegalArgumentException("refusing to send load to " + host + " (" + address.getHostAddress()
                            + "): not a loopback address; pass --allow-non-loopback if you mean it");
                }
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host " + host, e);
        }
    }
}
