package dev.llmplatform.gateway.structured;

/**
 * Follows JSON text one character at a time and drops the whitespace between tokens, keeping everything else as
 * written (numbers are not reformatted). It tracks only strings and nesting: validity is checked elsewhere.
 */
final class JsonTextCompactor {

    private boolean inString;
    private boolean escaped;
    private int depth;
    private boolean started;

    /** Appends what {@code c} contributes to the compact text. */
    void accept(char c, StringBuilder out) {
        if (inString) {
            out.append(c);
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
            }
            return;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            return;
        }
        started = true;
        out.append(c);
        switch (c) {
            case '"' -> inString = true;
            case '{', '[' -> depth++;
            case '}', ']' -> depth--;
            default -> {}
        }
    }

    /** True once a value has started and every bracket it opened has closed. */
    boolean closed() {
        return started && depth == 0 && !inString;
    }
}
