package dev.llmplatform.gateway.security;

import dev.llmplatform.gateway.domain.ApiKey;
import dev.llmplatform.gateway.filters.RequestIdFilter;
import dev.llmplatform.gateway.filters.RequestMetricsFilter;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * One line on the logger "audit" for every request under /admin, allowed or refused, once its status is known:
 * when, who (key name, client address), what (method, canonical path, status) and the request id. Never a key,
 * never a header value. It runs outside {@link RequestMetricsFilter}, which has turned any error into its
 * response by then, so the status logged is the one sent.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 3)
public class AdminAuditFilter implements WebFilter {

    private static final Logger audit = LoggerFactory.getLogger("audit");

    private final ClientAddress clients;

    public AdminAuditFilter(ClientAddress clients) {
        this.clients = clients;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (!ApiKeyFilter.isUnder(path, "/admin")) {
            return chain.filter(exchange);
        }
        return chain.filter(exchange).doFinally(signal -> {
            HttpStatusCode status = exchange.getResponse().getStatusCode();
            ApiKey key = ApiKeyFilter.key(exchange);
            int code = status == null ? 200 : status.value();
            // the path is canonical: only safe characters, so it cannot forge a log line
            audit.info("admin-request time={} key={} client={} method={} path={} status={} access={} request_id={}{}",
                    Instant.now(), key == null ? "-" : key.name(), clients.of(exchange), exchange.getRequest().getMethod(),
                    path, code, key != null && key.has(ApiKey.ADMIN) ? "authorized" : "denied", RequestIdFilter.requestId(exchange),
                    signal == reactor.core.publisher.SignalType.CANCEL ? " cancelled=true" : "");
        });
    }
}
