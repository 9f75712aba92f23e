package dev.llmplatform.gateway.config;

import io.grpc.Channel;
import io.grpc.ManagedChannel;

/** The one channel to the scheduler, shared by its API and its health service. */
public record SchedulerChannel(Channel channel) {

    /**
     * Ends the channel's reconnect backoff: after an outage of a few seconds gRPC would wait up to its next
     * backoff step (1 s, growing 1.6× per attempt) before dialling the restarted scheduler again.
     */
    public void reconnectNow() {
        if (channel instanceof ManagedChannel managed) {
            managed.resetConnectBackoff();
        }
    }
}
