package dev.llmplatform.bench;

/**
 * Something that generates a streamed completion for a prompt: the platform's gateway, one CPU worker directly
 * over gRPC, or llama.cpp in this process. Each call blocks until the response ends and never throws for a
 * failed request: the failure is part of the record.
 */
public sealed interface Target extends AutoCloseable permits GatewayTarget, WorkerGrpcTarget, ReferenceEngineTarget {

    /** Short name used in reports: gateway, worker-grpc, reference. */
    String name();

    RequestRecord generate(BenchPrompt prompt, Sampling sampling);

    @Override
    void close();
}
