package dev.llmplatform.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseEventsTest {

    private static List<String> events(String stream) throws Exception {
        List<String> events = new ArrayList<>();
        SseEvents.read(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)), events::add);
        return events;
    }

    @Test
    void eachEventIsHandedOverWhenItsBlankLineArrives() throws Exception {
        assertThat(events("data: {\"a\":1}\n\ndata: [DONE]\n\n")).containsExactly("{\"a\":1}", "[DONE]");
    }

    @Test
    void commentsAndOtherFieldsAreSkippedAndMultiLineDataIsJoined() throws Exception {
        assertThat(events(": keep-alive\n\nevent: message\nid: 7\ndata: one\ndata:two\n\n")).containsExactly("one\ntwo");
    }

    @Test
    void aLastEventWithoutItsBlankLineStillCounts() throws Exception {
        assertThat(events("data: x\n\ndata: y")).containsExactly("x", "y");
    }

    @Test
    void crLfLineEndsAreAccepted() throws Exception {
        assertThat(events("data: x\r\n\r\n")).containsExactly("x");
    }
}
