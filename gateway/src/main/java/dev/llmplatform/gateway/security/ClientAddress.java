package dev.llmplatform.gateway.security;

import dev.llmplatform.gateway.config.GatewayProperties;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

/**
 * Who a request comes from, for throttling and the audit log: the socket's remote address. X-Forwarded-For is
 * believed only from an explicitly trusted proxy (gateway.auth-failures.trusted-proxies), and then only its
 * last entry that is not itself a trusted proxy, since anything further left is whatever the client wrote.
 */
@Component
public class ClientAddress {

    private static final java.util.regex.Pattern IP_LIKE = java.util.regex.Pattern.compile("[0-9A-Fa-f.:]{2,45}");

    private final Set<String> trustedProxies;

    @org.springframework.beans.factory.annotation.Autowired
    public ClientAddress(GatewayProperties properties) {
        this(properties.authFailures().trustedProxies());
    }

    ClientAddress(List<String> trustedProxies) {
        this.trustedProxies = Set.copyOf(trustedProxies.stream().map(String::strip).filter(s -> !s.isEmpty()).toList());
    }

    public String of(ServerWebExchange exchange) {
        InetSocketAddress remote = exchange.getRequest().getRemoteAddress();
        String socket = remote == null || remote.getAddress() == null ? "unknown" : remote.getAddress().getHostAddress();
        if (!trustedProxies.contains(socket)) {
            return socket;
        }
        List<String> forwarded = exchange.getRequest().getHeaders().getValuesAsList("X-Forwarded-For");
        for (int i = forwarded.size() - 1; i >= 0; i--) {
            String hop = forwarded.get(i).strip();
            if (!hop.isEmpty() && !trustedProxies.contains(hop)) {
                return IP_LIKE.matcher(hop).matches() ? hop : socket; // it ends up in logs: nothing but an address
            }
        }
        return socket;
    }
}
