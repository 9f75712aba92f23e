package dev.llmplatform.commons.security;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.WebFilter;

/**
 * On a management port that runs TLS (Kubernetes: the kubelet's probes come without a certificate), health stays
 * open without details while /actuator/prometheus needs a client certificate of the platform CA whose identity is
 * one of {@code platform.security.metrics-callers} (Prometheus's own). A plain management port is bound to
 * loopback (a laptop) and is left as it is.
 */
@ManagementContextConfiguration(ManagementContextType.CHILD)
public class MetricsAccess {

    static boolean isMetrics(String path) {
        return path.startsWith("/actuator/prometheus");
    }

    static boolean allowed(InternalPlaneProperties properties, Optional<CallerIdentity> caller) {
        return caller.isPresent() && properties.metricsCallers().contains(caller.get().name());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    @ConditionalOnClass(WebFilter.class)
    static class Reactive {

        @Bean
        WebFilter metricsAccessFilter(InternalPlaneProperties properties) {
            return (exchange, chain) -> {
                var request = exchange.getRequest();
                if (request.getSslInfo() == null || !isMetrics(request.getPath().value())) {
                    return chain.filter(exchange);
                }
                X509Certificate[] chainPresented = request.getSslInfo().getPeerCertificates();
                Optional<CallerIdentity> caller = chainPresented == null || chainPresented.length == 0
                        ? Optional.empty() : CallerIdentity.of(chainPresented[0]);
                if (allowed(properties, caller)) {
                    return chain.filter(exchange);
                }
                exchange.getResponse().setStatusCode(HttpStatus.FORBIDDEN);
                return exchange.getResponse().setComplete();
            };
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(Filter.class)
    static class Servlet {

        @Bean
        Filter metricsAccessFilter(InternalPlaneProperties properties) {
            return (request, response, chain) -> {
                var http = (HttpServletRequest) request;
                if (!http.isSecure() || !isMetrics(http.getRequestURI())) {
                    chain.doFilter(request, response);
                    return;
                }
                Optional<CallerIdentity> caller = http.getAttribute("jakarta.servlet.request.X509Certificate") instanceof X509Certificate[] c
                        && c.length > 0 ? CallerIdentity.of(c[0]) : Optional.empty();
                if (allowed(properties, caller)) {
                    chain.doFilter(request, response);
                } else {
                    ((HttpServletResponse) response).sendError(HttpServletResponse.SC_FORBIDDEN);
                }
            };
        }
    }
}
