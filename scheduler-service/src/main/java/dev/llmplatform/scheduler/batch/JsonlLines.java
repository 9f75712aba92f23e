package dev.llmplatform.scheduler.batch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The lines of a JSONL stream exactly as the registry counts them: split at '\n' only, and a line of nothing but
 * spaces, tabs and '\r' is blank and has no index. So line i here is the registry's line i, and a batch's total is
 * the number of lines this reader gives.
 */
final class JsonlLines {

    private final InputStream in;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean ended;

    JsonlLines(InputStream in) {
        this.in = in;
    }

    /** The next line that is not blank, without its '\r\n' or '\n'; null at the end. */
    String next() throws IOException {
        while (!ended) {
            line.reset();
            boolean content = false;
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
                content |= b != ' ' && b != '\t' && b != '\r';
            }
            ended = b < 0;
            if (content) {
                String text = line.toString(StandardCharsets.UTF_8);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
        }
        return null;
    }
}
