/**
 * Errors as OpenAI shapes them: {@link dev.llmplatform.gateway.errors.ApiException} (status, body, headers), {@link
 * dev.llmplatform.gateway.errors.ApiErrors} (any failure translated into one) and {@link
 * dev.llmplatform.gateway.errors.OpenAiErrorHandler} (writes it).
 */
package dev.llmplatform.gateway.errors;
