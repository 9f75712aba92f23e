package dev.llmplatform.gateway.domain;

import java.util.Objects;
import java.util.Set;

/**
 * A known API key, without the key: its name, what it may do and its budget.
 *
 * @param requestsPerMinute 0 means unlimited
 * @param tokensPerMinute   0 means unlimited
 * @param batchTokensPerDay the key's batch token budget (input + output tokens of its batches' lines over a rolling
 *                          24 h), apart from the interactive budgets; 0 means unlimited
 */
public record ApiKey(String name, Set<String> scopes, long requestsPerMinute, long tokensPerMinute, long batchTokensPerDay) {

    public static final String INFERENCE = "inference";
    public static final String ADMIN = "admin";

    public ApiKey {
        Objects.requireNonNull(name);
        scopes = Set.copyOf(scopes);
        if (requestsPerMinute < 0 || tokensPerMinute < 0 || batchTokensPerDay < 0) {
            throw new IllegalArgumentException("key '" + name + "': limits must not be negative");
        }
    }

    /** A key without a batch token budget. */
    public ApiKey(String name, Set<String> scopes, long requestsPerMinute, long tokensPerMinute) {
        this(name, scopes, requestsPerMinute, tokensPerMinute, 0);
    }

    public boolean has(String scope) {
        return scopes.contains(scope);
    }
}
