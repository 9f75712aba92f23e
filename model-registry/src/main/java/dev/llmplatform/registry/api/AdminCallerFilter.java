package dev.llmplatform.registry.api;

import dev.llmplatform.commons.security.CallerIdentity;
import dev.llmplatform.commons.security.InternalPlaneProperties;
import dev.llmplatform.registry.config.RegistryProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The registry authorises admin actions itself (defence in depth behind the gateway's admin-key check): every
 * request on its HTTP port, whatever its path, needs a client certificate whose identity is one of
 * {@code registry.admin-callers}. Each request is written to the {@code audit} log: who (certificate identity and
 * the gateway's key name), what, the outcome; never a secret. Health and metrics live on the management port,
 * which this filter does not cover.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class AdminCallerFilter extends OncePerRequestFilter {

    static final String PRINCIPAL_HEADER = "X-Platform-Principal";
    private static final Logger AUDIT = LoggerFactory.getLogger("audit");
    private static final Pattern PRINCIPAL = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

    private final InternalPlaneProperties security;
    private final RegistryProperties registry;

    AdminCallerFilter(InternalPlaneProperties security, RegistryProperties registry) {
        this.security = security;
        this.registry = registry;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Optional<CallerIdentity> caller = caller(request);
        String who = caller.map(CallerIdentity::name).orElse("anonymous") + principal(request).map(p -> "/" + p).orElse("");
        if (security.enabled() && (caller.isEmpty() || !registry.adminCallers().contains(caller.get().name()))) {
            AUDIT.warn("registry admin refused: caller={} remote={} method={} path={}", who, request.getRemoteAddr(),
                    request.getMethod(), request.getRequestURI());
            response.setStatus(HttpServletResponse.SC_FORBIDDEN);
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            response.getWriter().write("{\"error\":{\"message\":\"this caller may not use the registry's admin API\","
                    + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"permission_denied\"}}");
            return;
        }
        try {
            chain.doFilter(request, response);
        } finally {
            AUDIT.info("registry admin: caller={} remote={} method={} path={} status={}", who, request.getRemoteAddr(),
                    request.getMethod(), request.getRequestURI(), response.getStatus());
        }
    }

    private static Optional<CallerIdentity> caller(HttpServletRequest request) {
        if (request.getAttribute("jakarta.servlet.request.X509Certificate") instanceof X509Certificate[] chain && chain.length > 0) {
            return CallerIdentity.of(chain[0]);
        }
        return Optional.empty();
    }

    /** The gateway's name for the admin key it checked; only a well-formed name is logged. */
    private static Optional<String> principal(HttpServletRequest request) {
        String value = request.getHeader(PRINCIPAL_HEADER);
        return value != null && PRINCIPAL.matcher(value).matches() ? Optional.of(value) : Optional.empty();
    }
}
