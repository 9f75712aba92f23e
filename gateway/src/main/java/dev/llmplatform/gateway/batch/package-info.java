/**
 * OpenAI's Files and Batch APIs (/v1/files, /v1/batches): the OpenAI shapes here, storage in the model registry
 * (BatchStore over gRPC), the work in the scheduler. docs/batch.md.
 */
package dev.llmplatform.gateway.batch;
