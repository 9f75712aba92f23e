package dev.llmplatform.commons.security;

import java.util.List;

/**
 * Which identities may call a gRPC method: {@code method} is a full method name
 * ({@code llmplatform.v1.InferenceWorker/Generate}) or a whole service ({@code llmplatform.v1.InferenceWorker/*}).
 */
public record GrpcCallerRule(String method, List<String> callers) {

    public GrpcCallerRule {
        if (method == null || method.isBlank()) {
            throw new IllegalArgumentException("a platform.security.grpc-callers rule needs a method");
        }
        callers = callers == null ? List.of() : List.copyOf(callers);
    }

    boolean matches(String fullMethodName) {
        if (method.endsWith("/*")) {
            return fullMethodName.startsWith(method.substring(0, method.length() - 1));
        }
        return method.equals(fullMethodName);
    }
}
