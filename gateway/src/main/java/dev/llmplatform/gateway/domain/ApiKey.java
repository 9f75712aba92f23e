package dev.llmplatform.gateway.domain;

import java.util.Objects;
import java.util.Set;

/**
 * A known API key, without the key: its name, what it may do and its budget.
 *
 * @param requestsPerMinute 0 means unlimited
 * @param tokensPerMinute   0 means unlimited
 */
public record ApiKey(String name, Set<String> scopes, long requestsPerMinute, long tokensPerMinute) {

    public static final String INFERENCE = "inference";
    public static final String ADMIN = "admin";

    public ApiKey {
        Objects.requireNonNull(name);
        scopes = Set.copyOf(scopes);
        if (requestsPerMinute < 0 || tokensPerMinute < 0) {
            throw new IllegalArgumentException("key '" + name + "': limits must not be negative");
        }
    }

    public boolean has(String scope) {
        return scopes.contains(scope);
    }
}
