package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.domain.GeneratedChunk;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the gateway does per generated token of a streamed chat completion: turn the scheduler's chunk into the
 * OpenAI chunk (ChatCompletionStream) and frame it as an SSE event (ServerSentEvents). Lives in the gateway's
 * package (a split package on the class path) to reach those package-private classes; the private framing
 * method is called through a method handle rather than copied, so the benchmark follows the gateway's code.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SseChunkEncodingBenchmark {

    private static final MethodHandle EVENT;

    static {
        try {
            EVENT = MethodHandles.privateLookupIn(ServerSentEvents.class, MethodHandles.lookup())
                    .findVirtual(ServerSentEvents.class, "event", MethodType.methodType(byte[].class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final JsonMapper json = JsonMapper.builder().build();
    private ServerSentEvents sse;
    private ChatCompletionStream stream;
    private final GeneratedChunk token = new GeneratedChunk(" light", 1, Optional.empty());

    @Setup
    public void setUp() {
        sse = new ServerSentEvents(json, null); // errors are only needed for failed streams
        stream = new ChatCompletionStream("chatcmpl-bench", 1_700_000_000L, "tiny-kjv-chat", true);
        stream.next(token); // past the role chunk: measure the steady state
    }

    @Benchmark
    public byte[] chunkToSseEvent() throws Throwable {
        List<OpenAiResponses.ChatCompletionChunk> chunks = stream.next(token);
        return (byte[]) EVENT.invoke(sse, (Object) chunks.getFirst());
    }

    /** Reference: the JSON serialization alone of the same chunk, without the chunk building and framing. */
    @Benchmark
    public byte[] jsonOnlyReference() {
        return json.writeValueAsBytes(stream.next(token).getFirst());
    }
}
