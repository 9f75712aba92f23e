package dev.llmplatform.gateway.chat;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway's request parsing: the body bytes read as a JSON tree (as JsonBodyReader does) and checked field by
 * field into a request (OpenAiRequestParser), against the bare tree read as the reference.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RequestParsingBenchmark {

    /**
     * OpenAiRequestParser.chat(JsonNode, ...): found by name, any further int parameter (e.g. the most choices
     * allowed) given 1, so that the benchmark follows the parser's signature as it evolves.
     */
    private static final MethodHandle CHAT = chatParser();

    @Param({"1", "8"})
    int messages;

    private static MethodHandle chatParser() {
        Method chat = Arrays.stream(OpenAiRequestParser.class.getDeclaredMethods())
                .filter(m -> m.getName().equals("chat") && Modifier.isStatic(m.getModifiers())
                        && m.getParameterCount() >= 1 && m.getParameterTypes()[0] == JsonNode.class)
                .findFirst().orElseThrow(() -> new IllegalStateException("OpenAiRequestParser.chat(JsonNode, ...) not found"));
        try {
            MethodHandle handle = MethodHandles.privateLookupIn(OpenAiRequestParser.class, MethodHandles.lookup()).unreflect(chat);
            Class<?>[] types = chat.getParameterTypes();
            for (int i = types.length - 1; i >= 1; i--) {
                if (types[i] != int.class) {
                    throw new IllegalStateException("unexpected parameter " + types[i] + " of OpenAiRequestParser.chat");
                }
                handle = MethodHandles.insertArguments(handle, i, 1);
            }
            return handle.asType(MethodType.methodType(Object.class, JsonNode.class));
        } catch (IllegalAccessException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final JsonMapper json = JsonMapper.builder().build();
    private byte[] body;

    @org.openjdk.jmh.annotations.Setup
    public void setUp() {
        var sb = new StringBuilder("{\"model\":\"tiny-kjv-chat\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"max_tokens\":64,\"temperature\":0.7,\"top_p\":0.95,\"stop\":[\"\\n\\n\"],\"messages\":[");
        for (int i = 0; i < messages; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"role\":\"").append(i % 2 == 0 ? "user" : "assistant")
                    .append("\",\"content\":\"And God said, Let there be light: and there was light. ").append(i).append("\"}");
        }
        body = sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public Object readAndParseChatRequest() throws Throwable {
        return (Object) CHAT.invokeExact(json.readTree(body));
    }

    @Benchmark
    public JsonNode readTreeOnlyReference() {
        return json.readTree(body);
    }
}
