package dev.llmplatform.gateway.domain;

import java.util.Objects;

/**
 * What a client may tell the scheduler about where and when to run its request, from the x-llm-placement-policy,
 * x-llm-priority and x-session-id headers. Empty strings and 0 mean "not given".
 */
public record RoutingHints(String placementPolicy, int priority, String sessionId) {

    public static final RoutingHints NONE = new RoutingHints("", 0, "");

    public RoutingHints {
        Objects.requireNonNull(placementPolicy);
        Objects.requireNonNull(sessionId);
    }
}
