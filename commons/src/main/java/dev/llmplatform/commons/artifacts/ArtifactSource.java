package dev.llmplatform.commons.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;

/** Where remote artifacts come from: one implementation per URI scheme. */
interface ArtifactSource {

    /**
     * The object's bytes from offset {@code from} on. A server that ignores the range answers from 0 instead, which
     * {@link Body#start()} says; an offset at or past the end gives an empty body that starts at {@code from}.
     *
     * @throws IOException              a failure worth another attempt (connection lost, server error)
     * @throws IllegalStateException    one that is not (no such object, access denied)
     */
    Body open(URI uri, long from) throws IOException;

    /** @param start the offset of the body's first byte: the requested one, or 0 */
    record Body(InputStream in, long start) {
    }
}
