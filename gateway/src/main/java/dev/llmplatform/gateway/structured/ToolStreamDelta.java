package dev.llmplatform.gateway.structured;

/** What a streamed tool-format generation adds to the OpenAI stream, in order. */
public sealed interface ToolStreamDelta {

    /** Answer text (the {@code response} string, unescaped) or, when the output is not the format, raw text. */
    record ContentDelta(String text) implements ToolStreamDelta {}

    /** A call begins: {@code index}, {@code id}, {@code type: "function"}, its name and empty arguments. */
    record CallStart(int index, String id, String name) implements ToolStreamDelta {}

    /** The next piece of call {@code index}'s arguments JSON text. */
    record ArgumentsDelta(int index, String arguments) implements ToolStreamDelta {}
}
