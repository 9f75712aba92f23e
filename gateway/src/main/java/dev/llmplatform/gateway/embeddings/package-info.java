/** POST /v1/embeddings: the request checks and the handler. */
package dev.llmplatform.gateway.embeddings;
