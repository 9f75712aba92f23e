package dev.llmplatform.scheduler.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lines are split and skipped exactly as the registry counts them, so line i is the registry's line i. */
class JsonlLinesTest {

    private static List<String> lines(String text) throws IOException {
        var reader = new JsonlLines(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        List<String> lines = new ArrayList<>();
        for (String line; (line = reader.next()) != null; ) {
            lines.add(line);
        }
        return lines;
    }

    @Test
    void blankLinesHaveNoIndexAndOnlyNewlinesSplit() throws IOException {
        assertThat(lines("{\"a\":1}\r\n\n  \t\r\n{\"b\":\"x\ry\"}\n\u000c\n{\"c\":3}"))
                .containsExactly("{\"a\":1}", "{\"b\":\"x\ry\"}", "\u000c", "{\"c\":3}");
    }
}
