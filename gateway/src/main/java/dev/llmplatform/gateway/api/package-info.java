/**
 * The OpenAI-compatible HTTP API's shared pieces: {@link dev.llmplatform.gateway.api.OpenAiRoutes} (the route table,
 * whose handlers live in {@code chat}, {@code embeddings} and {@code models}), {@link
 * dev.llmplatform.gateway.api.JsonBodyReader} (request bodies as JSON trees) and {@link
 * dev.llmplatform.gateway.api.GatewayMetrics} (the gateway.* meters).
 */
package dev.llmplatform.gateway.api;
