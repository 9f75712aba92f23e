package dev.llmplatform.gateway.security;

import dev.llmplatform.gateway.errors.ApiException;

/**
 * The one form of a request path that the gateway authorises, routes and forwards. Spring's path matching
 * decodes segments and drops {@code ;} parameters while a plain string check does not; any difference between
 * what is checked and what is routed is an authorisation bypass, so anything with more than one reading is
 * refused rather than interpreted: encoded slashes and backslashes, matrix parameters, dot and empty segments,
 * double encoding, control characters, and any character outside a small safe set.
 */
final class CanonicalPath {

    // RFC 3986 unreserved, sub-delims other than ';', and ':' '@' '/': nothing a decoder or router reads twice
    private static final boolean[] SAFE = new boolean[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            SAFE[c] = true;
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            SAFE[c] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            SAFE[c] = true;
        }
        for (char c : "-._~!$&'()*+,=:@/".toCharArray()) {
            SAFE[c] = true;
        }
    }

    private CanonicalPath() {
    }

    /**
     * The raw (still encoded) path decoded once, checked.
     *
     * @throws ApiException 400 {@code invalid_path} when the path has more than one possible reading
     */
    static String of(String raw) {
        if (raw == null || raw.isEmpty() || raw.charAt(0) != '/') {
            throw invalid("the path must start with '/'");
        }
        var decoded = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int value = i + 2 < raw.length() ? hex(raw.charAt(i + 1), raw.charAt(i + 2)) : -1;
                if (value < 0) {
                    throw invalid("'%' must start a percent-encoded byte");
                }
                if (value == '/' || value == '\\') {
                    throw invalid("encoded slashes and backslashes are not allowed");
                }
                if (value == '%') {
                    throw invalid("double percent-encoding is not allowed");
                }
                c = (char) value;
                i += 2;
            }
            if (c == ';') {
                throw invalid("';' (path parameters) is not allowed");
            }
            if (c == '\\') {
                throw invalid("backslashes are not allowed");
            }
            if (c >= 128 || !SAFE[c]) {
                throw invalid(c < 0x20 || c == 0x7f ? "control characters are not allowed"
                        : "the character " + (c >= 128 ? "0x" + Integer.toHexString(c) : "'" + c + "'") + " is not allowed");
            }
            decoded.append(c);
        }
        String path = decoded.toString();
        checkSegments(path);
        return path;
    }

    /** Dot segments would be resolved by someone downstream, empty ones collapsed: refuse both. One trailing '/' is fine. */
    private static void checkSegments(String path) {
        int start = 1;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            String segment = path.substring(start, end);
            if (segment.equals(".") || segment.equals("..")) {
                throw invalid("dot segments ('.', '..') are not allowed");
            }
            if (segment.isEmpty() && end < path.length()) {
                throw invalid("empty path segments ('//') are not allowed");
            }
            start = end + 1;
        }
    }

    private static int hex(char high, char low) {
        if (high >= 128 || low >= 128) {
            return -1; // Character.digit would take other scripts' digits
        }
        int h = Character.digit(high, 16);
        int l = Character.digit(low, 16);
        return h < 0 || l < 0 ? -1 : h * 16 + l;
    }

    private static ApiException invalid(String why) {
        return new ApiException(org.springframework.http.HttpStatus.BAD_REQUEST, ApiException.INVALID_REQUEST,
                "Invalid request path: " + why + ".", null, "invalid_path");
    }
}
