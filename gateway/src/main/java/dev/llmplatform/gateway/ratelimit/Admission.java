package dev.llmplatform.gateway.ratelimit;

/** What a rate-limit store decided about a request. Nothing is taken from the budget when it is rejected. */
public sealed interface Admission {

    BucketState requests();

    BucketState tokens();

    record Admitted(BucketState requests, BucketState tokens) implements Admission {
    }

    /**
     * @param limit           which budget ran short
     * @param retryAfterMillis until enough of it has come back
     */
    record Rejected(Limit limit, long retryAfterMillis, BucketState requests, BucketState tokens) implements Admission {
    }

    enum Limit {
        REQUESTS, TOKENS;

        /** The name OpenAI uses in error types and header names. */
        public String label() {
            return this == REQUESTS ? "requests" : "tokens";
        }
    }
}
