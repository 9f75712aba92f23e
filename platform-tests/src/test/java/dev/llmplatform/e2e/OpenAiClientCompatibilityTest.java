package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.llmplatform.launcher.LocalPlatform;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The official OpenAI Java SDK (com.openai:openai-java) against the whole platform, each service its own
 * process: what a real client sends must work, and what the gateway answers must parse, errors included.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class OpenAiClientCompatibilityTest {

    private LocalPlatform platform;
    private OpenAIClient client;

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-sdk-" + System.nanoTime()).start();
        client = client(platform.apiKey());
    }

    @AfterAll
    void stopPlatform() {
        if (client != null) {
            client.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void chatCompletion() {
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(LocalPlatform.MODEL)
                .addSystemMessage("You recite scripture.")
                .addUserMessage("Recite Genesis 1:1")
                .maxCompletionTokens(24)
                .temperature(0.0)
                .seed(7)
                .user("sdk-test")
                .build());

        assertThat(completion.id()).startsWith("chatcmpl-");
        assertThat(completion.model()).isEqualTo(LocalPlatform.MODEL);
        assertThat(completion.choices()).hasSize(1);
        var choice = completion.choices().getFirst();
        assertThat(choice.message().content()).hasValueSatisfying(text -> assertThat(text).isNotBlank());
        assertThat(choice.finishReason().asString()).isIn("stop", "length");
        var usage = completion.usage().orElseThrow();
        assertThat(usage.promptTokens()).isPositive();
        assertThat(usage.completionTokens()).isBetween(1L, 24L);
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
    }

    @Test
    void chatCompletionWithSeveralChoices() {
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(LocalPlatform.MODEL)
                .addUserMessage("In the beginning")
                .maxCompletionTokens(8)
                .n(2)
                .build());

        assertThat(completion.choices()).extracting(c -> c.index()).containsExactly(0L, 1L);
        assertThat(completion.usage().orElseThrow().completionTokens()).isBetween(2L, 16L);
    }

    @Test
    void streamedChatCompletionWithUsage() {
        var text = new StringBuilder();
        var finishReasons = new ArrayList<String>();
        var usage = new ArrayList<Long>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model(LocalPlatform.MODEL)
                .addUserMessage("Recite Genesis 1:1")
                .maxCompletionTokens(24)
                .temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build())) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(choice -> {
                    choice.delta().content().ifPresent(text::append);
                    choice.finishReason().ifPresent(reason -> finishReasons.add(reason.asString()));
                });
                chunk.usage().ifPresent(u -> usage.add(u.completionTokens()));
            });
        }

        assertThat(text.toString()).isNotBlank();
        assertThat(finishReasons).hasSize(1).first().isIn("stop", "length");
        assertThat(usage).hasSize(1).first().satisfies(tokens -> assertThat(tokens).isBetween(1L, 24L));
    }

    @Test
    void legacyCompletion() {
        Completion completion = client.completions().create(CompletionCreateParams.builder()
                .model(LocalPlatform.MODEL)
                .prompt("In the beginning")
                .maxTokens(12)
                .temperature(0.0)
                .stopOfStrings(List.of("\n\n"))
                .build());

        assertThat(completion.id()).startsWith("cmpl-");
        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().getFirst().text()).isNotEmpty();
        assertThat(completion.usage().orElseThrow().completionTokens()).isBetween(1L, 12L);
    }

    @Test
    void streamedLegacyCompletion() {
        var text = new StringBuilder();
        try (var stream = client.completions().createStreaming(CompletionCreateParams.builder()
                .model(LocalPlatform.MODEL).prompt("In the beginning").maxTokens(12).temperature(0.0).build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(choice -> text.append(choice.text())));
        }

        assertThat(text.toString()).isNotEmpty();
    }

    @Test
    void models() {
        List<Model> models = client.models().list().data();

        assertThat(models).extracting(Model::id).contains(LocalPlatform.MODEL);
        assertThat(client.models().retrieve(LocalPlatform.MODEL).id()).isEqualTo(LocalPlatform.MODEL);
    }

    @Test
    void aWrongKeyIs401() {
        OpenAIClient stranger = client("sk-not-a-key");
        try {
            assertThatThrownBy(() -> stranger.models().list())
                    .isInstanceOfSatisfying(UnauthorizedException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(401);
                        assertThat(e.code()).hasValue("invalid_api_key");
                    });
        } finally {
            stranger.close();
        }
    }

    @Test
    void anUnknownModelIs404ModelNotFound() {
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("no-such-model").addUserMessage("Hi").build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.code()).hasValue("model_not_found");
                });
        assertThatThrownBy(() -> client.models().retrieve("no-such-model")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void aPromptLongerThanTheContextIs400WithTheNumbers() {
        assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder()
                .model(LocalPlatform.MODEL).prompt("and it was so ".repeat(400)).maxTokens(10).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("maximum context length").containsPattern("\\d+");
                });
    }

    @Test
    void anOutOfRangeParameterIs400NamingIt() {
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(LocalPlatform.MODEL).addUserMessage("Hi").temperature(7.0).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.param()).hasValue("temperature"));
    }

    @Test
    void everyErrorParsesAsAnOpenAiError() {
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(LocalPlatform.MODEL).addUserMessage("Hi").n(1000).build()))
                .isInstanceOfSatisfying(OpenAIServiceException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.type()).hasValue("invalid_request_error");
                    assertThat(e.param()).hasValue("n");
                });
    }

    private OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder()
                .apiKey(key)
                .baseUrl(platform.gateway("/v1").toString())
                .maxRetries(0) // a retried request would hide the status under test
                .timeout(Duration.ofMinutes(2))
                .build();
    }
}
