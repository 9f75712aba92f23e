package dev.llmplatform.worker.core.api;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The streams of one worker that hold tokens back. When one of them sends its held chunk because it is due (full, or
 * its hold is up), every other that holds at least {@link StreamInterval#joinTokens()} tokens and is past its least
 * interval sends its chunk in the same moment. A saturated batch's streams advance one token per step, so after one
 * such moment they stay in step: their chunks leave together every few steps instead of one stream's at every step.
 * Chunks handed to gRPC together share a flush, a TLS record and a write on the connection to the scheduler, and the
 * scheduler's and the gateway's reads and writes after it: what a relay spends on a message is mostly that, not the
 * message itself (docs/benchmarks.md, "Chunks that are ready together travel together").
 */
final class StreamCohort {

    private final Set<ChunkStream> holding = ConcurrentHashMap.newKeySet();

    void holds(ChunkStream stream) {
        holding.add(stream);
    }

    void released(ChunkStream stream) {
        holding.remove(stream);
    }

    /** Called by a stream that just sent a due chunk, outside its own lock (a stream's lock is never held with another's). */
    void sentDue(ChunkStream sender, long now) {
        for (ChunkStream stream : holding) {
            if (stream != sender) {
                stream.joinDue(now);
            }
        }
    }

    int holding() {
        return holding.size();
    }
}
