package dev.llmplatform.registry.infra.batch;

import dev.llmplatform.registry.domain.RegistryException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Checks a JSONL upload line by line as its bytes pass: each line valid UTF-8 and at most {@code maxLineBytes}
 * long, at most {@code maxLines} lines that are not blank. Holds at most one line. Whether a line is a well-formed
 * request is the runner's question: a malformed line becomes an entry of the batch's error file, as at OpenAI.
 */
final class JsonlCheckingInputStream extends FilterInputStream {

    private final int maxLineBytes;
    private final int maxLines;
    private final byte[] line;
    private int lineLength;
    private int physicalLine = 1;
    private int lines;
    private boolean lineHasContent;

    JsonlCheckingInputStream(InputStream in, int maxLineBytes, int maxLines) {
        super(in);
        this.maxLineBytes = maxLineBytes;
        this.maxLines = maxLines;
        this.line = new byte[maxLineBytes];
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            accept((byte) b);
        } else {
            endOfLine();
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n < 0) {
            endOfLine();
        }
        for (int i = 0; i < n; i++) {
            accept(buffer[offset + i]);
        }
        return n;
    }

    @Override
    public long skip(long n) {
        throw new UnsupportedOperationException("every byte must be checked");
    }

    /** The lines that are not blank; complete once the stream has been read to its end. */
    int lines() {
        return lines;
    }

    private void accept(byte b) {
        if (b == '\n') {
            endOfLine();
            physicalLine++;
            return;
        }
        if (lineLength == maxLineBytes) {
            throw new RegistryException.TooLarge("line " + physicalLine + " is longer than the " + maxLineBytes
                    + " bytes a batch file line may have");
        }
        line[lineLength++] = b;
        if (b != ' ' && b != '\t' && b != '\r') {
            lineHasContent = true;
        }
    }

    private void endOfLine() {
        if (lineHasContent) {
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line, 0, lineLength));
            } catch (CharacterCodingException e) {
                throw new RegistryException.InvalidArgument("line " + physicalLine + " is not UTF-8 text; a batch file is JSONL", "file");
            }
            lines++;
            if (lines > maxLines) {
                throw new RegistryException.TooLarge("the file has more than the " + maxLines + " requests a batch may have");
            }
        }
        lineLength = 0;
        lineHasContent = false;
    }
}
