package dev.llmplatform.gateway.structured;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToolCallStreamParserTest {

    static final String TWO_CALLS = """
            {"tool_calls": [
              {"name": "get_weather", "arguments": {"city": "Saint-\\u00c9tienne", "note": "a \\"b\\" {c}", "n": [1, -2.5e3]}},
              {"name": "get_time", "arguments": {}, "id": "x1"}
            ]}""";
    static final String ONE_CALL = "{\"tool_calls\":[{\"name\":\"f\",\"arguments\":{\"a\":{\"b\":[]}}}]}";
    static final String RAW_EMOJI_CALL = "{\"tool_calls\":[{\"name\":\"react\",\"arguments\":{\"emoji\":\"😀😀\"}}]}";
    static final String ANSWER = "{\"response\": \"Line\\none \\\"quoted\\\" caf\\u00e9 \\ud83d\\ude00 😀 \\\\ end\"}";

    /** What a client reassembles from the deltas. */
    record Reassembled(List<ToolCall> calls, String content) {}

    static Reassembled reassemble(List<ToolStreamDelta> deltas) {
        List<String[]> calls = new ArrayList<>();
        StringBuilder content = new StringBuilder();
        for (ToolStreamDelta delta : deltas) {
            switch (delta) {
                case ToolStreamDelta.ContentDelta text -> content.append(text.text());
                case ToolStreamDelta.CallStart start -> {
                    assertThat(start.index()).isEqualTo(calls.size());
                    calls.add(new String[] {start.id(), start.name(), ""});
                }
                case ToolStreamDelta.ArgumentsDelta arguments -> {
                    assertThat(arguments.index()).isEqualTo(calls.size() - 1);
                    assertThat(arguments.arguments()).isNotEmpty();
                    calls.getLast()[2] += arguments.arguments();
                }
            }
        }
        return new Reassembled(calls.stream().map(c -> new ToolCall(c[0], c[1], c[2])).toList(), content.toString());
    }

    static List<ToolStreamDelta> stream(ToolCallStreamParser parser, String... pieces) {
        List<ToolStreamDelta> deltas = new ArrayList<>();
        for (String piece : pieces) {
            List<ToolStreamDelta> fed = parser.feed(piece);
            for (ToolStreamDelta delta : fed) {
                String text = switch (delta) {
                    case ToolStreamDelta.ContentDelta content -> content.text();
                    case ToolStreamDelta.ArgumentsDelta arguments -> arguments.arguments();
                    case ToolStreamDelta.CallStart start -> start.name();
                };
                // No delta may split a character, or it could not be sent as UTF-8.
                assertThat(text).isNotEmpty();
                assertThat(Character.isHighSurrogate(text.charAt(text.length() - 1))).as(text).isFalse();
                assertThat(Character.isLowSurrogate(text.charAt(0))).as(text).isFalse();
            }
            deltas.addAll(fed);
        }
        return deltas;
    }

    @Test
    void streamsTheSameCallsAsTheWholeOutputParsesToAtEverySplit() {
        for (String output : List.of(TWO_CALLS, ONE_CALL, RAW_EMOJI_CALL)) {
            ToolCallOutput.Calls whole = (ToolCallOutput.Calls) ToolCallOutput.parse(output, ToolCallOutputTest.ids());
            for (int a = 0; a <= output.length(); a++) {
                for (int b = a; b <= output.length(); b += 7) {
                    ToolCallStreamParser parser = new ToolCallStreamParser(ToolCallOutputTest.ids());
                    Reassembled streamed = reassemble(
                            stream(parser, output.substring(0, a), output.substring(a, b), output.substring(b)));
                    assertThat(streamed.calls()).as("split at %d and %d", a, b).isEqualTo(whole.calls());
                    assertThat(streamed.content()).isEmpty();
                    assertThat(parser.finish()).isEqualTo(new ToolStreamEnd.ToolCallsEnd(whole.calls().size()));
                }
            }
        }
    }

    @Test
    void streamsTheAnswerTextWithEscapesDecodedAtEverySplit() {
        String expected = ((ToolCallOutput.Answer) ToolCallOutput.parse(ANSWER)).content();
        assertThat(expected).isEqualTo("Line\none \"quoted\" café 😀 😀 \\ end");
        for (int a = 0; a <= ANSWER.length(); a++) {
            for (int b = a; b <= ANSWER.length(); b++) {
                ToolCallStreamParser parser = new ToolCallStreamParser();
                Reassembled streamed = reassemble(
                        stream(parser, ANSWER.substring(0, a), ANSWER.substring(a, b), ANSWER.substring(b)));
                assertThat(streamed.content()).as("split at %d and %d", a, b).isEqualTo(expected);
                assertThat(streamed.calls()).isEmpty();
                assertThat(parser.finish()).isEqualTo(new ToolStreamEnd.AnswerEnd());
            }
        }
    }

    @Test
    void streamsOneCharacterAtATime() {
        ToolCallStreamParser parser = new ToolCallStreamParser(ToolCallOutputTest.ids());
        List<ToolStreamDelta> deltas = stream(parser, ONE_CALL.split(""));
        assertThat(deltas.getFirst()).isEqualTo(new ToolStreamDelta.CallStart(0, "call_0", "f"));
        assertThat(deltas).hasSizeGreaterThan(3); // arguments arrive in pieces, not at the end
        assertThat(reassemble(deltas).calls()).containsExactly(new ToolCall("call_0", "f", "{\"a\":{\"b\":[]}}"));
    }

    @Test
    void announcesACallAsSoonAsItsNameIsComplete() {
        ToolCallStreamParser parser = new ToolCallStreamParser(ToolCallOutputTest.ids());
        assertThat(parser.feed("{\"tool_calls\": [{\"name\": \"get_wea")).isEmpty();
        assertThat(parser.feed("ther\", \"arguments\": {\"ci"))
                .containsExactly(new ToolStreamDelta.CallStart(0, "call_0", "get_weather"),
                        new ToolStreamDelta.ArgumentsDelta(0, "{\"ci"));
        assertThat(parser.feed("ty\": \"Paris\"}}]}"))
                .containsExactly(new ToolStreamDelta.ArgumentsDelta(0, "ty\":\"Paris\"}"));
        assertThat(parser.finish()).isEqualTo(new ToolStreamEnd.ToolCallsEnd(1));
    }

    @Test
    void plainTextFlowsAsContentOnceItIsClearlyNotTheFormat() {
        ToolCallStreamParser parser = new ToolCallStreamParser();
        assertThat(parser.feed("  ")).isEmpty();
        assertThat(parser.feed("It is sunny")).containsExactly(new ToolStreamDelta.ContentDelta("  It is sunny"));
        assertThat(parser.feed(" today.")).containsExactly(new ToolStreamDelta.ContentDelta(" today."));
        assertThat(parser.finish()).isEqualTo(new ToolStreamEnd.TextEnd(""));
    }

    @Test
    void plainTextReachesTheClientWhole() {
        String text = "  {not json} but \"text\" é😀";
        for (int a = 0; a <= text.length(); a++) {
            ToolCallStreamParser parser = new ToolCallStreamParser();
            Reassembled streamed = reassemble(stream(parser, text.substring(0, a), text.substring(a)));
            ToolStreamEnd end = parser.finish();
            String unsent = end instanceof ToolStreamEnd.TextEnd t ? t.unsentContent() : "";
            assertThat(streamed.content() + unsent).as("split at %d", a).isEqualTo(text);
            assertThat(ToolCallOutput.parse(text)).isEqualTo(new ToolCallOutput.Text(text));
        }
    }

    @Test
    void outputCutBeforeAnythingWasCertainIsHandedBackAsText() {
        ToolCallStreamParser parser = new ToolCallStreamParser();
        assertThat(parser.feed("{\"tool_calls\": [{\"na")).isEmpty();
        assertThat(parser.finish()).isEqualTo(new ToolStreamEnd.TextEnd("{\"tool_calls\": [{\"na"));
    }

    @Test
    void outputCutAfterDeltasIsReportedCutShort() {
        for (String output : List.of(TWO_CALLS, ANSWER)) {
            for (int end = 0; end < output.length(); end++) {
                String prefix = output.substring(0, end);
                ToolCallStreamParser parser = new ToolCallStreamParser();
                boolean handedOut = !stream(parser, prefix).isEmpty();
                ToolStreamEnd finish = parser.finish();
                assertThat(finish).as(prefix).isIn(handedOut ? new ToolStreamEnd.CutShort(prefix) : new ToolStreamEnd.TextEnd(prefix));
                if (!output.substring(end).isBlank()) {
                    assertThat(ToolCallOutput.parse(prefix)).isEqualTo(new ToolCallOutput.Text(prefix));
                }
            }
        }
    }

    @Test
    void invalidArgumentsAfterTheCallWasAnnouncedAreCutShort() {
        ToolCallStreamParser parser = new ToolCallStreamParser();
        String output = "{\"tool_calls\": [{\"name\": \"f\", \"arguments\": {\"a\": tru}}]}";
        parser.feed(output);
        assertThat(parser.finish()).isEqualTo(new ToolStreamEnd.CutShort(output));
        assertThat(ToolCallOutput.parse(output)).isEqualTo(new ToolCallOutput.Text(output));
    }
}
