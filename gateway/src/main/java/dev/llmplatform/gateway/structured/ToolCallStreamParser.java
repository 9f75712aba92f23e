package dev.llmplatform.gateway.structured;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import tools.jackson.core.JacksonException;

/**
 * The streaming counterpart of {@link ToolCallOutput}: fed the generated text in pieces of any size, it hands out
 * OpenAI-style deltas as soon as they are certain. Answer text flows as it is decoded; a call is announced once
 * its name is complete, then its arguments flow as compact JSON text. Text that turns out not to be the format
 * before anything was handed out flows on as plain content.
 */
public final class ToolCallStreamParser {

    private enum State {
        OUTER_OPEN, OUTER_KEY, OUTER_COLON, RESPONSE_VALUE, OUTER_CLOSE, DONE,
        CALLS_OPEN, CALL_OPEN, NAME_KEY, NAME_COLON, NAME_VALUE, NAME_COMMA, ARGUMENTS_KEY, ARGUMENTS_COLON,
        ARGUMENTS_VALUE, AFTER_ARGUMENTS, ID_KEY, ID_COLON, ID_VALUE, CALL_CLOSE, AFTER_CALL,
        /** Not the format, found before any delta went out: all text is content. */
        PASS_THROUGH,
        /** Not the format, found after deltas went out: nothing more is handed out. */
        BROKEN
    }

    private final Supplier<String> ids;
    private final StringBuilder raw = new StringBuilder();
    private final List<ToolStreamDelta> out = new ArrayList<>();
    private final StringBuilder pendingText = new StringBuilder();
    private State state = State.OUTER_OPEN;
    private boolean handedOutAny;
    private int calls;
    private String outerKey;
    private JsonStringDecoder string;
    private StringBuilder stringValue;
    private JsonTextCompactor arguments;
    private final StringBuilder argumentsText = new StringBuilder();
    /** A high surrogate that ended the last piece, kept until its partner comes so no delta splits a character. */
    private String heldBack = "";

    public ToolCallStreamParser() {
        this(ToolCall::newId);
    }

    /** With call ids from {@code ids} (tests pass a predictable source). */
    public ToolCallStreamParser(Supplier<String> ids) {
        this.ids = ids;
    }

    /** The deltas that {@code piece} makes certain, consecutive text merged. */
    public List<ToolStreamDelta> feed(String piece) {
        int from = raw.length();
        raw.append(piece);
        for (int i = 0; i < piece.length() && state != State.PASS_THROUGH && state != State.BROKEN; i++) {
            step(piece.charAt(i));
        }
        if (state == State.PASS_THROUGH) {
            // On the switch everything so far becomes content; later pieces flow as they come.
            pendingText.setLength(0);
            pendingText.append(handedOutAny ? raw.substring(from) : raw);
            handedOutAny = true;
        }
        flushText();
        holdBackTrailingHighSurrogate();
        List<ToolStreamDelta> deltas = List.copyOf(out);
        out.clear();
        return deltas;
    }

    /** How the output ended; call once, after the last piece. */
    public ToolStreamEnd finish() {
        return switch (state) {
            case DONE -> calls > 0 ? new ToolStreamEnd.ToolCallsEnd(calls) : new ToolStreamEnd.AnswerEnd();
            case PASS_THROUGH -> new ToolStreamEnd.TextEnd(heldBack);
            default -> handedOutAny ? new ToolStreamEnd.CutShort(raw.toString())
                    : new ToolStreamEnd.TextEnd(raw.toString());
        };
    }

    private void step(char c) {
        switch (state) {
            case OUTER_OPEN -> punctuation(c, '{', State.OUTER_KEY);
            case OUTER_KEY -> string(c, key -> {
                outerKey = key;
                state = key.equals("response") || key.equals("tool_calls") ? State.OUTER_COLON : notTheFormat();
            });
            case OUTER_COLON -> punctuation(c, ':', outerKey.equals("response") ? State.RESPONSE_VALUE : State.CALLS_OPEN);
            case RESPONSE_VALUE -> response(c);
            case OUTER_CLOSE -> punctuation(c, '}', State.DONE);
            case DONE -> {
                if (!isWhitespace(c)) notTheFormat();
            }
            case CALLS_OPEN -> punctuation(c, '[', State.CALL_OPEN);
            case CALL_OPEN -> punctuation(c, '{', State.NAME_KEY);
            case NAME_KEY -> key(c, "name", State.NAME_COLON);
            case NAME_COLON -> punctuation(c, ':', State.NAME_VALUE);
            case NAME_VALUE -> string(c, name -> {
                flushText();
                out.add(new ToolStreamDelta.CallStart(calls, ids.get(), name));
                handedOutAny = true;
                state = State.NAME_COMMA;
            });
            case NAME_COMMA -> punctuation(c, ',', State.ARGUMENTS_KEY);
            case ARGUMENTS_KEY -> key(c, "arguments", State.ARGUMENTS_COLON);
            case ARGUMENTS_COLON -> punctuation(c, ':', State.ARGUMENTS_VALUE);
            case ARGUMENTS_VALUE -> arguments(c);
            case AFTER_ARGUMENTS -> {
                if (c == '}') endCall();
                else punctuation(c, ',', State.ID_KEY);
            }
            case ID_KEY -> key(c, "id", State.ID_COLON);
            case ID_COLON -> punctuation(c, ':', State.ID_VALUE);
            case ID_VALUE -> string(c, id -> state = State.CALL_CLOSE);
            case CALL_CLOSE -> {
                if (c == '}') endCall();
                else punctuation(c, '}', State.CALL_CLOSE);
            }
            case AFTER_CALL -> {
                if (c == ']') state = State.OUTER_CLOSE;
                else punctuation(c, ',', State.CALL_OPEN);
            }
            case PASS_THROUGH, BROKEN -> {}
        }
    }

    private void endCall() {
        calls++;
        state = State.AFTER_CALL;
    }

    /** Skips whitespace, then expects {@code expected}. */
    private void punctuation(char c, char expected, State next) {
        if (c == expected) {
            state = next;
        } else if (!isWhitespace(c)) {
            notTheFormat();
        }
    }

    private void key(char c, String expected, State next) {
        string(c, key -> state = key.equals(expected) ? next : notTheFormat());
    }

    /** Skips whitespace, then reads a whole string and hands it to {@code complete}. */
    private void string(char c, java.util.function.Consumer<String> complete) {
        if (string == null) {
            if (c == '"') {
                string = new JsonStringDecoder();
                stringValue = new StringBuilder();
            } else if (!isWhitespace(c)) {
                notTheFormat();
            }
            return;
        }
        JsonStringDecoder.Step step = string.accept(c);
        stringValue.append(string.take());
        if (step == JsonStringDecoder.Step.INVALID) {
            notTheFormat();
        } else if (step == JsonStringDecoder.Step.END) {
            string = null;
            complete.accept(stringValue.toString());
        }
    }

    /** The answer string, handed out as it is decoded. */
    private void response(char c) {
        if (string == null) {
            if (c == '"') {
                string = new JsonStringDecoder();
            } else if (!isWhitespace(c)) {
                notTheFormat();
            }
            return;
        }
        JsonStringDecoder.Step step = string.accept(c);
        if (step == JsonStringDecoder.Step.INVALID) {
            notTheFormat();
            return;
        }
        String decoded = string.take();
        if (!decoded.isEmpty()) {
            pendingText.append(decoded);
            handedOutAny = true;
        }
        if (step == JsonStringDecoder.Step.END) {
            string = null;
            state = State.OUTER_CLOSE;
        }
    }

    /** The arguments object, handed out compact as it arrives and checked as JSON once it closes. */
    private void arguments(char c) {
        if (arguments == null) {
            if (c == '{') {
                arguments = new JsonTextCompactor();
                argumentsText.setLength(0);
            } else if (!isWhitespace(c)) {
                notTheFormat();
                return;
            } else {
                return;
            }
        }
        int before = argumentsText.length();
        arguments.accept(c, argumentsText);
        if (argumentsText.length() > before) {
            String piece = heldBack + argumentsText.substring(before);
            heldBack = "";
            if (!out.isEmpty() && out.getLast() instanceof ToolStreamDelta.ArgumentsDelta last && last.index() == calls) {
                out.set(out.size() - 1, new ToolStreamDelta.ArgumentsDelta(calls, last.arguments() + piece));
            } else {
                flushText();
                out.add(new ToolStreamDelta.ArgumentsDelta(calls, piece));
            }
        }
        if (arguments.closed()) {
            arguments = null;
            state = isJson(argumentsText.toString()) ? State.AFTER_ARGUMENTS : notTheFormat();
        }
    }

    private static boolean isJson(String text) {
        try {
            ToolCallFormat.JSON.readTree(text);
            return true;
        } catch (JacksonException e) {
            return false;
        }
    }

    /** Switches to plain text or gives up; returns the new state for use in assignments. */
    private State notTheFormat() {
        state = handedOutAny ? State.BROKEN : State.PASS_THROUGH;
        return state;
    }

    private void flushText() {
        if (!pendingText.isEmpty()) {
            out.add(new ToolStreamDelta.ContentDelta(heldBack + pendingText));
            heldBack = "";
            pendingText.setLength(0);
        }
    }

    private void holdBackTrailingHighSurrogate() {
        if (out.isEmpty()) {
            return;
        }
        ToolStreamDelta last = out.getLast();
        String text = switch (last) {
            case ToolStreamDelta.ContentDelta content -> content.text();
            case ToolStreamDelta.ArgumentsDelta arguments -> arguments.arguments();
            case ToolStreamDelta.CallStart start -> "";
        };
        if (text.isEmpty() || !Character.isHighSurrogate(text.charAt(text.length() - 1))) {
            return;
        }
        heldBack = text.substring(text.length() - 1);
        String rest = text.substring(0, text.length() - 1);
        out.removeLast();
        if (!rest.isEmpty()) {
            out.add(last instanceof ToolStreamDelta.ArgumentsDelta a ? new ToolStreamDelta.ArgumentsDelta(a.index(), rest)
                    : new ToolStreamDelta.ContentDelta(rest));
        }
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }
}
