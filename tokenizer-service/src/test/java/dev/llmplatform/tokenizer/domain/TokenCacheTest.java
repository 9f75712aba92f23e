package dev.llmplatform.tokenizer.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.tokenizer.config.TokenCacheProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TokenCacheTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TokenCache cache = new TokenCache(new TokenCacheProperties(10_000, Duration.ofMinutes(5)), registry);

    @Test
    void aRepeatedTextIsTokenizedOnceAndCountedAsAHit() {
        var tokenizer = new CountingTokenizer("m");

        int[] first = cache.encode(tokenizer, "In the beginning", true);
        int[] second = cache.encode(tokenizer, "In the beginning", true);

        assertThat(second).containsExactly(first);
        assertThat(tokenizer.encodes.get()).isEqualTo(1);
        assertThat(count("hit")).isEqualTo(1);
        assertThat(count("miss")).isEqualTo(1);
    }

    @Test
    void theSameConversationIsRenderedOnce() {
        var tokenizer = new CountingTokenizer("m");
        var messages = List.of(new ModelTokenizer.Message("system", "Be brief."), new ModelTokenizer.Message("user", "Hi"));

        var first = cache.chatPrompt(tokenizer, messages, true);
        var second = cache.chatPrompt(tokenizer, List.copyOf(messages), true);
        var withoutGenerationPrompt = cache.chatPrompt(tokenizer, messages, false);

        assertThat(second.prompt()).isEqualTo(first.prompt());
        assertThat(second.tokenIds()).containsExactly(first.tokenIds());
        assertThat(withoutGenerationPrompt.prompt()).isNotEqualTo(first.prompt());
        assertThat(tokenizer.templates.get()).isEqualTo(2);
        assertThat(count("hit")).isEqualTo(1);
        assertThat(count("miss")).isEqualTo(2);
    }

    @Test
    void aReloadedTokenizerOfTheSameModelNeverGetsTheOldOnesResults() {
        var old = new CountingTokenizer("m");
        var reloaded = new CountingTokenizer("m");

        cache.encode(old, "light", false);
        cache.encode(reloaded, "light", false);

        assertThat(reloaded.encodes.get()).isEqualTo(1);
        assertThat(count("miss")).isEqualTo(2);
    }

    @Test
    void callersCannotChangeACachedResult() {
        var tokenizer = new CountingTokenizer("m");
        int[] ids = cache.encode(tokenizer, "abc", false);
        ids[0] = -1;

        assertThat(cache.encode(tokenizer, "abc", false)[0]).isEqualTo('a');
    }

    @Test
    void aFailureIsNotCached() {
        var tokenizer = new CountingTokenizer("m");

        assertThatThrownBy(() -> cache.encode(tokenizer, "FAIL", false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cache.encode(tokenizer, "FAIL", false)).isInstanceOf(IllegalArgumentException.class);
        assertThat(tokenizer.encodes.get()).isEqualTo(2);
    }

    private double count(String result) {
        var counter = registry.find("tokenizer.cache").tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Encodes each character as its code point; the chat template joins role: content lines. */
    private static final class CountingTokenizer implements ModelTokenizer {
        final AtomicInteger encodes = new AtomicInteger();
        final AtomicInteger templates = new AtomicInteger();
        private final String modelId;

        CountingTokenizer(String modelId) {
            this.modelId = modelId;
        }

        @Override
        public String modelId() {
            return modelId;
        }

        @Override
        public int[] encode(String text, boolean addSpecial) {
            encodes.incrementAndGet();
            if (text.equals("FAIL")) {
                throw new IllegalArgumentException("cannot tokenize");
            }
            return text.codePoints().toArray();
        }

        @Override
        public byte[] decodeBytes(int[] tokenIds) {
            return new byte[0];
        }

        @Override
        public String applyChatTemplate(List<Message> messages, boolean addGenerationPrompt) {
            templates.incrementAndGet();
            var prompt = new StringBuilder();
            messages.forEach(m -> prompt.append(m.role()).append(": ").append(m.content()).append('\n'));
            return addGenerationPrompt ? prompt + "assistant: " : prompt.toString();
        }

        @Override
        public int vocabularySize() {
            return 0;
        }

        @Override
        public void close() {
        }
    }
}
