/**
 * Who may do what: the canonical request path ({@link dev.llmplatform.gateway.security.CanonicalPathFilter}), API
 * keys ({@link dev.llmplatform.gateway.security.ApiKeyFilter}, {@link dev.llmplatform.gateway.security.ApiKeys}, the
 * keys file), the throttle on failed keys, the client address and the admin audit log. The web filters run in this
 * order: CanonicalPathFilter, RequestIdFilter, AdminAuditFilter, RequestMetricsFilter, ApiKeyFilter,
 * RequestRateLimitFilter, RequestSizeFilter (the others are in {@code dev.llmplatform.gateway.filters}).
 */
package dev.llmplatform.gateway.security;
