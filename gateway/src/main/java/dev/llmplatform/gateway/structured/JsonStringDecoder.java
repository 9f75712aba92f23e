package dev.llmplatform.gateway.structured;

/**
 * Decodes the inside of a JSON string one character at a time (after its opening quote), so streamed text can be
 * passed on as it arrives. A high surrogate is held back until its partner comes, so no piece handed out ends
 * half a character.
 */
final class JsonStringDecoder {

    enum Step { MORE, END, INVALID }

    private final StringBuilder decoded = new StringBuilder();
    private boolean afterBackslash;
    private int hexDigitsLeft;
    private int hexValue;
    private char heldHighSurrogate;

    Step accept(char c) {
        if (hexDigitsLeft > 0) {
            int digit = Character.digit(c, 16);
            if (digit < 0) {
                return Step.INVALID;
            }
            hexValue = hexValue * 16 + digit;
            if (--hexDigitsLeft == 0) {
                add((char) hexValue);
            }
            return Step.MORE;
        }
        if (afterBackslash) {
            afterBackslash = false;
            switch (c) {
                case '"', '\\', '/' -> add(c);
                case 'b' -> add('\b');
                case 'f' -> add('\f');
                case 'n' -> add('\n');
                case 'r' -> add('\r');
                case 't' -> add('\t');
                case 'u' -> {
                    hexDigitsLeft = 4;
                    hexValue = 0;
                }
                default -> {
                    return Step.INVALID;
                }
            }
            return Step.MORE;
        }
        if (c == '\\') {
            afterBackslash = true;
            return Step.MORE;
        }
        if (c == '"') {
            releaseHeld();
            return Step.END;
        }
        if (c < 0x20) {
            return Step.INVALID; // JSON forbids raw control characters in strings
        }
        add(c);
        return Step.MORE;
    }

    /** The text decoded since the last call. */
    String take() {
        String text = decoded.toString();
        decoded.setLength(0);
        return text;
    }

    private void add(char c) {
        releaseHeld();
        if (Character.isHighSurrogate(c)) {
            heldHighSurrogate = c;
        } else {
            decoded.append(c);
        }
    }

    private void releaseHeld() {
        if (heldHighSurrogate != 0) {
            decoded.append(heldHighSurrogate);
            heldHighSurrogate = 0;
        }
    }
}
