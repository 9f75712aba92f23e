package dev.llmplatform.scheduler.infra;

import dev.llmplatform.proto.v1.ApplyChatTemplateRequest;
import dev.llmplatform.proto.v1.ChatMessage;
import dev.llmplatform.proto.v1.TokenizeRequest;
import dev.llmplatform.proto.v1.TokenizerGrpc;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/**
 * Turns a request's input into the token ids a worker consumes. Errors come back as the tokenizer's status
 * (INVALID_ARGUMENT for input over its limits, which the gateway answers with 400).
 *
 * <p>Call it on the thread that serves the scheduler's own call: the tokenizer call is then made within that call's
 * gRPC Context, so a client that cancels (or whose deadline passes) cancels the tokenizer's work too.
 */
@Component
public class TokenizerClient {

    private final ManagedChannel channel;
    private final TokenizerGrpc.TokenizerBlockingStub tokenizer;
    private final long timeoutMillis;

    public TokenizerClient(SchedulerProperties properties, GrpcChannelFactory channels) {
        this.channel = channels.createChannel(properties.tokenizerTarget());
        this.tokenizer = TokenizerGrpc.newBlockingStub(channel);
        this.timeoutMillis = properties.tokenizerTimeout().toMillis();
    }

    /** @param toolsJson the OpenAI tools array the template renders, empty for none */
    public List<Integer> chatPrompt(String model, List<ChatMessage> messages, String toolsJson) {
        return call(() -> stub().applyChatTemplate(ApplyChatTemplateRequest.newBuilder()
                .setModel(model).addAllMessages(messages).setToolsJson(toolsJson).setAddGenerationPrompt(true).build())
                .getTokenIdsList());
    }

    public List<Integer> textPrompt(String model, String prompt) {
        return call(() -> stub().tokenize(TokenizeRequest.newBuilder()
                .setModel(model).setText(prompt).setAddSpecialTokens(true).build()).getTokenIdsList());
    }

    /**
     * A tokenizer that is down leaves the channel in its reconnect backoff (1 s, growing 1.6× per attempt), which
     * would keep failing requests for up to a backoff step after it is back; each failure ends the backoff instead,
     * so the next request dials at once (on loopback or in-cluster, a refused dial costs next to nothing).
     */
    private <T> T call(Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                channel.resetConnectBackoff();
            }
            throw e;
        }
    }

    /** The sooner of the incoming request's deadline and the tokenizer timeout. */
    private TokenizerGrpc.TokenizerBlockingStub stub() {
        Deadline own = Deadline.after(timeoutMillis, TimeUnit.MILLISECONDS);
        Deadline callers = Context.current().getDeadline();
        return tokenizer.withDeadline(callers == null ? own : callers.minimum(own));
    }
}
