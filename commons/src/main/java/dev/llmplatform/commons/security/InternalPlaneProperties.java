package dev.llmplatform.commons.security;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The internal plane's security settings (docs/security.md).
 *
 * @param enabled       mutual TLS on every internal port and caller checks; off only for module tests that run a
 *                      service alone (never in a deployment)
 * @param identity      this service's identity: the common name of its certificate
 * @param tlsDir        where {@code ca.crt}, {@code <identity>.crt} and {@code <identity>.key} are
 * @param grpcCallers   who may call which of this service's gRPC methods; a method no rule names is refused
 * @param internalHttp  whether this service's HTTP port is internal (mutual TLS); false only for the gateway
 * @param tlsCertificate this service's certificate; empty = {@code <tlsDir>/<identity>.crt} (Kubernetes secrets
 *                      name theirs tls.crt, tls.key and ca.crt)
 * @param tlsPrivateKey  its PKCS#8 key; empty = {@code <tlsDir>/<identity>.key}
 * @param tlsCa          the platform CA; empty = {@code <tlsDir>/ca.crt}
 * @param metricsCallers who may read /actuator/prometheus when the management port runs TLS (Kubernetes); on a
 *                      plain loopback management port (a laptop) anyone on the machine may
 */
@ConfigurationProperties("platform.security")
public record InternalPlaneProperties(
        @DefaultValue("true") boolean enabled,
        String identity,
        @DefaultValue(".platform/certs") String tlsDir,
        @DefaultValue List<GrpcCallerRule> grpcCallers,
        @DefaultValue("true") boolean internalHttp,
        @DefaultValue("") String tlsCertificate,
        @DefaultValue("") String tlsPrivateKey,
        @DefaultValue("") String tlsCa,
        @DefaultValue("prometheus") List<String> metricsCallers) {

    /** Anyone the platform CA vouches for may check health and read the reflection of any service. */
    static final List<GrpcCallerRule> ALWAYS = List.of(
            new GrpcCallerRule("grpc.health.v1.Health/*", List.of("*")),
            new GrpcCallerRule("grpc.reflection.v1.ServerReflection/*", List.of("*")),
            new GrpcCallerRule("grpc.reflection.v1alpha.ServerReflection/*", List.of("*")));

    /** Whether {@code caller} may call {@code fullMethodName}: the first rule that names the method decides (configured before built-in). */
    public boolean allows(String fullMethodName, CallerIdentity caller) {
        for (List<GrpcCallerRule> rules : List.of(grpcCallers, ALWAYS)) {
            for (GrpcCallerRule rule : rules) {
                if (rule.matches(fullMethodName)) {
                    return rule.callers().contains("*") || rule.callers().contains(caller.name());
                }
            }
        }
        return false;
    }
}
