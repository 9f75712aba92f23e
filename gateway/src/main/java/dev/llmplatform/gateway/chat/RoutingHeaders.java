package dev.llmplatform.gateway.chat;

import dev.llmplatform.gateway.domain.RoutingHints;
import dev.llmplatform.gateway.errors.ApiException;
import java.util.regex.Pattern;
import org.springframework.http.HttpHeaders;

/**
 * Reads the scheduler hints a client may send: x-llm-placement-policy (a policy name), x-llm-priority (an
 * integer, higher runs first) and x-session-id (keeps a conversation on one worker). A malformed one is a 400
 * naming the header: the values travel on to the scheduler and into its logs, so they are kept short and plain.
 */
final class RoutingHeaders {

    static final String PLACEMENT_POLICY = "x-llm-placement-policy";
    static final String PRIORITY = "x-llm-priority";
    static final String SESSION_ID = "x-session-id";
    static final int MAX_PRIORITY = 1000;

    private static final Pattern POLICY = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern SESSION = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RoutingHeaders() {
    }

    static RoutingHints read(HttpHeaders headers) {
        String policy = headers.getFirst(PLACEMENT_POLICY);
        String priority = headers.getFirst(PRIORITY);
        String session = headers.getFirst(SESSION_ID);
        if (policy == null && priority == null && session == null) {
            return RoutingHints.NONE;
        }
        return new RoutingHints(
                policy == null ? "" : matching(PLACEMENT_POLICY, policy.strip(), POLICY),
                priority == null ? 0 : priority(priority.strip()),
                session == null ? "" : matching(SESSION_ID, session.strip(), SESSION));
    }

    private static String matching(String header, String value, Pattern pattern) {
        if (!pattern.matcher(value).matches()) {
            throw ApiException.invalid(header, "Invalid '" + header + "' header: expected " + pattern.pattern() + ".");
        }
        return value;
    }

    private static int priority(String value) {
        try {
            int priority = Integer.parseInt(value);
            if (Math.abs(priority) <= MAX_PRIORITY) {
                return priority;
            }
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw ApiException.invalid(PRIORITY, "Invalid '" + PRIORITY + "' header: expected an integer from -"
                + MAX_PRIORITY + " to " + MAX_PRIORITY + ".");
    }
}
