package dev.llmplatform.tokenizer.domain;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.llmplatform.tokenizer.config.TokenCacheProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * Recent tokenize and chat-template results. Clients send the same system prompts and conversation
 * prefixes again and again; the chat template (a Jinja render under a lock) and the tokenization are
 * deterministic for a given tokenizer, so a repeated input is answered from memory. Entries are keyed by
 * the tokenizer instance itself: a model reloaded under the same name never sees the old one's results.
 * Counts hits and misses as {@code tokenizer.cache{result=hit|miss}}.
 */
@Component
public class TokenCache {

    /** The rendered prompt and its token ids. */
    public record ChatPrompt(String prompt, int[] tokenIds) {
    }

    private sealed interface Key {
    }

    private record EncodeKey(ModelTokenizer tokenizer, String text, boolean addSpecial) implements Key {
    }

    private record ChatKey(ModelTokenizer tokenizer, List<ModelTokenizer.Message> messages, String toolsJson,
                           boolean addGenerationPrompt) implements Key {
    }

    private final Cache<Key, Object> cache;
    private final Counter hits;
    private final Counter misses;

    public TokenCache(TokenCacheProperties properties, MeterRegistry registry) {
        this.cache = Caffeine.newBuilder()
                .maximumWeight(properties.maxWeight())
                .weigher(TokenCache::weigh)
                .expireAfterAccess(properties.expireAfterAccess())
                .build();
        this.hits = Counter.builder("tokenizer.cache").tag("result", "hit")
                .description("Tokenize and chat-template calls answered from the cache").register(registry);
        this.misses = Counter.builder("tokenizer.cache").tag("result", "miss")
                .description("Tokenize and chat-template calls that had to run the tokenizer").register(registry);
    }

    public int[] encode(ModelTokenizer tokenizer, String text, boolean addSpecial) {
        return encode(tokenizer, text, addSpecial, Progress.NONE);
    }

    /** @param progress watches a computation on a miss; work it stops is not cached */
    public int[] encode(ModelTokenizer tokenizer, String text, boolean addSpecial, Progress progress) {
        int[] ids = (int[]) lookup(new EncodeKey(tokenizer, text, addSpecial), () -> tokenizer.encode(text, addSpecial, progress));
        return ids.clone();
    }

    public ChatPrompt chatPrompt(ModelTokenizer tokenizer, List<ModelTokenizer.Message> messages, boolean addGenerationPrompt) {
        return chatPrompt(tokenizer, messages, addGenerationPrompt, Progress.NONE);
    }

    /** @param progress watches a computation on a miss; work it stops is not cached */
    public ChatPrompt chatPrompt(ModelTokenizer tokenizer, List<ModelTokenizer.Message> messages, boolean addGenerationPrompt,
                                 Progress progress) {
        return chatPrompt(tokenizer, messages, "", addGenerationPrompt, progress);
    }

    /** @param toolsJson the OpenAI tools array the template renders, empty for none */
    public ChatPrompt chatPrompt(ModelTokenizer tokenizer, List<ModelTokenizer.Message> messages, String toolsJson,
                                 boolean addGenerationPrompt, Progress progress) {
        var cached = (ChatPrompt) lookup(new ChatKey(tokenizer, List.copyOf(messages), toolsJson, addGenerationPrompt), () -> {
            String prompt = tokenizer.applyChatTemplate(messages, toolsJson, addGenerationPrompt, progress);
            return new ChatPrompt(prompt, tokenizer.encode(prompt, true, progress));
        });
        return new ChatPrompt(cached.prompt(), cached.tokenIds().clone());
    }

    private Object lookup(Key key, Supplier<Object> compute) {
        Object cached = cache.getIfPresent(key);
        if (cached != null) {
            hits.increment();
            return cached;
        }
        misses.increment();
        // a failure (bad input) propagates and caches nothing
        Object computed = compute.get();
        cache.put(key, computed);
        return computed;
    }

    private static int weigh(Key key, Object value) {
        long chars = switch (key) {
            case EncodeKey k -> k.text().length();
            case ChatKey k -> k.toolsJson().length() + k.messages().stream().mapToLong(ModelTokenizer.Message::length).sum();
        };
        long ids = switch (value) {
            case int[] a -> a.length;
            case ChatPrompt p -> p.prompt().length() + p.tokenIds().length;
            default -> 0;
        };
        return (int) Math.min(Integer.MAX_VALUE, 1 + chars + ids);
    }
}
