/**
 * POST /v1/chat/completions and POST /v1/completions: {@link dev.llmplatform.gateway.chat.GenerationHandler}, the
 * request checks ({@link dev.llmplatform.gateway.chat.OpenAiRequestParser}; response_format and tools in {@link
 * dev.llmplatform.gateway.chat.StructuredOutput}, whose grammars come from {@code dev.llmplatform.gateway.structured}),
 * the response bodies ({@link dev.llmplatform.gateway.chat.OpenAiResponses}) and the server-sent event streams.
 */
package dev.llmplatform.gateway.chat;
