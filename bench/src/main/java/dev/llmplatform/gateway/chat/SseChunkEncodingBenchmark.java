package dev.llmplatform.gateway.chat;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
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
 * What the gateway does per generated token of a streamed chat completion: serialize the OpenAI chunk and frame it
 * as an SSE event (ServerSentEvents). Lives in the gateway's package (a split package on the class path) to reach
 * its package-private types; the private framing method is called through a method handle rather than copied, so
 * the benchmark follows the gateway's code.
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
    /** A steady-state content chunk, as ChatCompletionStream makes one per token. */
    private final OpenAiResponses.ChatCompletionChunk chunk = new OpenAiResponses.ChatCompletionChunk("chatcmpl-bench",
            "chat.completion.chunk", 1_700_000_000L, "tiny-kjv-chat",
            List.of(new OpenAiResponses.ChunkChoice(0, new OpenAiResponses.Delta(null, " light"), null, null)), null);

    @Setup
    public void setUp() {
        sse = new ServerSentEvents(json, null); // errors are only needed for failed streams
    }

    @Benchmark
    public byte[] chunkToSseEvent() throws Throwable {
        return (byte[]) EVENT.invoke(sse, (Object) chunk);
    }

    /** Reference: the JSON serialization alone of the same chunk, without the framing. */
    @Benchmark
    public byte[] jsonOnlyReference() {
        return json.writeValueAsBytes(chunk);
    }
}
