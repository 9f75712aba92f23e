package dev.llmplatform.scheduler.domain;

import java.util.Map;
import java.util.Set;

/**
 * One request as placement sees it.
 *
 * @param promptTokens         C_j's prefill part [tokens]
 * @param expectedOutputTokens C_j's decode part [tokens]
 * @param finishWithinSeconds  energy-first: the latest acceptable estimated finish [s]
 * @param cachedPromptTokens   per worker id, how many leading prompt tokens that worker likely holds in its KV cache
 * @param excluded             workers that already failed this request
 */
public record PlacementRequest(
        String model,
        int promptTokens,
        int expectedOutputTokens,
        double finishWithinSeconds,
        Map<String, Integer> cachedPromptTokens,
        Set<String> excluded) {

    public PlacementRequest {
        cachedPromptTokens = Map.copyOf(cachedPromptTokens);
        excluded = Set.copyOf(excluded);
    }

    public static PlacementRequest of(String model, int promptTokens, int expectedOutputTokens) {
        return new PlacementRequest(model, promptTokens, expectedOutputTokens, Double.MAX_VALUE, Map.of(), Set.of());
    }

    public PlacementRequest excluding(Set<String> workers) {
        return new PlacementRequest(model, promptTokens, expectedOutputTokens, finishWithinSeconds, cachedPromptTokens, workers);
    }

    public PlacementRequest withCachedPromptTokens(Map<String, Integer> cached) {
        return new PlacementRequest(model, promptTokens, expectedOutputTokens, finishWithinSeconds, cached, excluded);
    }

    public PlacementRequest finishingWithin(double seconds) {
        return new PlacementRequest(model, promptTokens, expectedOutputTokens, seconds, cachedPromptTokens, excluded);
    }

    int cachedOn(String workerId) {
        if (cachedPromptTokens.isEmpty()) {
            return 0;
        }
        Integer cached = cachedPromptTokens.get(workerId);
        return cached == null ? 0 : Math.min(cached, promptTokens);
    }
}
