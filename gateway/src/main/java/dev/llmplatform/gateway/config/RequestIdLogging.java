package dev.llmplatform.gateway.config;

import dev.llmplatform.gateway.filters.RequestIdFilter;
import io.micrometer.context.ContextRegistry;
import jakarta.annotation.PostConstruct;
import org.slf4j.MDC;
import org.springframework.context.annotation.Configuration;

/**
 * Lets Reactor's automatic context propagation (spring.reactor.context-propagation=auto) restore the request
 * id into the MDC on every thread a request's work hops to, so log lines carry it (logging.pattern.correlation).
 */
@Configuration(proxyBeanMethods = false)
class RequestIdLogging {

    @PostConstruct
    void registerMdcAccessor() {
        ContextRegistry.getInstance().registerThreadLocalAccessor(RequestIdFilter.CONTEXT_KEY,
                () -> MDC.get(RequestIdFilter.CONTEXT_KEY),
                id -> MDC.put(RequestIdFilter.CONTEXT_KEY, id),
                () -> MDC.remove(RequestIdFilter.CONTEXT_KEY));
    }
}
