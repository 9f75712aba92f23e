package dev.llmplatform.scheduler.infra;

import dev.llmplatform.proto.v1.ApplyChatTemplateRequest;
import dev.llmplatform.proto.v1.ChatMessage;
import dev.llmplatform.proto.v1.TokenizeRequest;
import dev.llmplatform.proto.v1.TokenizerGrpc;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/** Turns a request's input into the token ids a worker consumes. Errors come back as the tokenizer's status. */
@Component
public class TokenizerClient {

    private final TokenizerGrpc.TokenizerBlockingStub tokenizer;
    private final long timeoutMillis;

    public TokenizerClient(SchedulerProperties properties, GrpcChannelFactory channels) {
        this.tokenizer = TokenizerGrpc.newBlockingStub(channels.createChannel(properties.tokenizerTarget()));
        this.timeoutMillis = properties.tokenizerTimeout().toMillis();
    }

    public List<Integer> chatPrompt(String model, List<ChatMessage> messages) {
        return stub().applyChatTemplate(ApplyChatTemplateRequest.newBuilder()
                .setModel(model).addAllMessages(messages).setAddGenerationPrompt(true).build()).getTokenIdsList();
    }

    public List<Integer> textPrompt(String model, String prompt) {
        return stub().tokenize(TokenizeRequest.newBuilder()
                .setModel(model).setText(prompt).setAddSpecialTokens(true).build()).getTokenIdsList();
    }

    /** The caller's deadline still applies when it is sooner (gRPC propagates it through the current Context). */
    private TokenizerGrpc.TokenizerBlockingStub stub() {
        return tokenizer.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
    }
}
