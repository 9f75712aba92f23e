/**
 * Structured outputs for llama.cpp workers, with no Spring or HTTP types: {@link
 * dev.llmplatform.gateway.structured.JsonSchemaGrammar} turns {@code response_format} schemas into GBNF, {@link
 * dev.llmplatform.gateway.structured.ToolCallGrammar} constrains tool calls to the generic polyfill's JSON shape,
 * and {@link dev.llmplatform.gateway.structured.ToolCallOutput} / {@link
 * dev.llmplatform.gateway.structured.ToolCallStreamParser} read that shape back, whole or streamed.
 */
package dev.llmplatform.gateway.structured;
