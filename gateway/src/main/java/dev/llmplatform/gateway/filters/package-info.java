/**
 * The web filters that are not access control: request ids, request metrics, the per-key request budget and the
 * body size limit. The whole chain, in order: CanonicalPathFilter, RequestIdFilter, AdminAuditFilter,
 * RequestMetricsFilter, ApiKeyFilter, RequestRateLimitFilter, RequestSizeFilter (the access-control ones are in
 * {@code dev.llmplatform.gateway.security}).
 */
package dev.llmplatform.gateway.filters;
