package dev.llmplatform.commons.security;

import io.grpc.Context;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who is calling: the common name of the client certificate that the platform's CA issued to the caller
 * (a service name such as {@code scheduler-service}, or an operator role such as {@code admin}). The TLS
 * handshake has already checked the certificate against the CA; this only reads the name.
 */
public record CallerIdentity(String name) {

    /** The caller of the current gRPC call, set by {@link GrpcCallerAuthorization}. */
    public static final Context.Key<CallerIdentity> CURRENT = Context.key("llm-platform-caller");

    /** The identity a call from inside the same JVM (in-process transport) carries. */
    public static final CallerIdentity LOCAL = new CallerIdentity("local");

    private static final String SESSION_KEY = "dev.llmplatform.caller-identity";

    public static Optional<CallerIdentity> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /**
     * The identity of a TLS session's peer. It is read from the certificate once per session (the connection's
     * handshake fixed it) and kept in the session: every call on the connection asks again.
     */
    public static Optional<CallerIdentity> of(SSLSession session) {
        if (session == null) {
            return Optional.empty();
        }
        if (session.getValue(SESSION_KEY) instanceof CallerIdentity known) {
            return Optional.of(known);
        }
        Optional<CallerIdentity> identity;
        try {
            Certificate[] chain = session.getPeerCertificates();
            identity = chain.length > 0 && chain[0] instanceof X509Certificate leaf ? of(leaf) : Optional.empty();
        } catch (SSLPeerUnverifiedException noClientCertificate) {
            return Optional.empty();
        }
        identity.ifPresent(caller -> session.putValue(SESSION_KEY, caller));
        return identity;
    }

    public static Optional<CallerIdentity> of(X509Certificate certificate) {
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return Optional.of(new CallerIdentity(rdn.getValue().toString()));
                }
            }
            return Optional.empty();
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
