package dev.llmplatform.gateway.chat;

import dev.llmplatform.gateway.errors.ApiErrors;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a stream the way OpenAI does, byte for byte: {@code data: {json}\n\n} per event and
 * {@code data: [DONE]\n\n} at the end. The bytes are written directly, not through Spring's ServerSentEvent
 * writer, which would frame the data its own way. Events are flushed as soon as no other is waiting: one that
 * comes alone goes out at once, and events ready together share one write.
 *
 * <p>The response is committed only when the first event is ready, so a request the scheduler refuses
 * outright (unknown model, saturated) still gets its proper HTTP status. A failure after that can only be
 * reported in the stream: one {@code data: {"error": {...}}} event, and the stream ends without [DONE].
 */
@Component
public class ServerSentEvents {

    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final JsonMapper json;
    private final ApiErrors errors;

    public ServerSentEvents(JsonMapper json, ApiErrors errors) {
        this.json = json;
        this.errors = errors;
    }

    /** An event already framed, {@code data: ...\n\n}: written as it is. */
    record Frame(byte[] bytes) {
    }

    /** The events of one stream that differ only in their text (see {@link TextEventTemplate}). */
    TextEventTemplate template(Function<String, Object> event) {
        return TextEventTemplate.of(json, event);
    }

    public Mono<ServerResponse> respond(ServerRequest request, Flux<?> events) {
        var started = new AtomicBoolean();
        Flux<byte[]> body = events.map(this::event)
                .concatWith(Mono.just(DONE))
                .doOnNext(bytes -> started.set(true))
                .onErrorResume(error -> started.get()
                        ? Mono.just(event(errors.translate(error, request.exchange()).body()))
                        : Mono.error(error));
        // Reactor Netty flushes a Publisher's writes whenever it has drained what was ready: no flush per event
        BodyInserter<Flux<byte[]>, ServerHttpResponse> flushWhenDrained = (response, context) ->
                response.writeWith(body.map(bytes -> response.bufferFactory().wrap(bytes)));
        return ServerResponse.ok()
                .contentType(MediaType.TEXT_EVENT_STREAM)
                .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                .header("X-Accel-Buffering", "no") // tells a proxy in front not to hold events back
                .body(flushWhenDrained);
    }

    private byte[] event(Object payload) {
        if (payload instanceof Frame frame) {
            return frame.bytes();
        }
        byte[] data = json.writeValueAsBytes(payload);
        byte[] event = new byte[data.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, event, 0, 6);
        System.arraycopy(data, 0, event, 6, data.length);
        event[event.length - 2] = '\n';
        event[event.length - 1] = '\n';
        return event;
    }
}
