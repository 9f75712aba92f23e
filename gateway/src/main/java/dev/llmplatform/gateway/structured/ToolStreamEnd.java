package dev.llmplatform.gateway.structured;

/** How a streamed tool-format generation ended, so the caller can pick finish_reason or fall back. */
public sealed interface ToolStreamEnd {

    /** Complete tool calls were streamed: finish_reason {@code tool_calls}. */
    record ToolCallsEnd(int calls) implements ToolStreamEnd {}

    /** A complete answer was streamed as content. */
    record AnswerEnd() implements ToolStreamEnd {}

    /**
     * The output was not the format; everything streamed so far was content, and {@code unsentContent} (possibly
     * empty) is the rest of the raw text to send as content.
     */
    record TextEnd(String unsentContent) implements ToolStreamEnd {}

    /** Deltas of the format were already streamed, but the output broke off or went wrong (e.g. max_tokens). */
    record CutShort(String raw) implements ToolStreamEnd {}
}
