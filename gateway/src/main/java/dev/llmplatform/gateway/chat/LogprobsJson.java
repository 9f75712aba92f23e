package dev.llmplatform.gateway.chat;

import dev.llmplatform.gateway.chat.OpenAiResponses.ChatLogprobs;
import dev.llmplatform.gateway.chat.OpenAiResponses.TextLogprobs;
import dev.llmplatform.gateway.chat.OpenAiResponses.TokenLogprobJson;
import dev.llmplatform.gateway.chat.OpenAiResponses.TopLogprobJson;
import dev.llmplatform.gateway.domain.TokenLogprob;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The workers' per-token logprobs in OpenAI's two shapes: chat's list of entries and the legacy parallel arrays. */
final class LogprobsJson {

    private LogprobsJson() {
    }

    static ChatLogprobs chat(List<TokenLogprob> logprobs) {
        return new ChatLogprobs(logprobs.stream().map(l -> new TokenLogprobJson(l.text(), l.logprob(), bytes(l.token()),
                l.top().stream().map(t -> new TopLogprobJson(t.text(), t.logprob(), bytes(t.token()))).toList())).toList());
    }

    /** @param offset characters of text before the first of these tokens */
    static TextLogprobs text(List<TokenLogprob> logprobs, int offset) {
        List<String> tokens = new ArrayList<>(logprobs.size());
        List<Float> values = new ArrayList<>(logprobs.size());
        List<Map<String, Float>> top = new ArrayList<>(logprobs.size());
        List<Integer> offsets = new ArrayList<>(logprobs.size());
        int at = offset;
        for (TokenLogprob logprob : logprobs) {
            String text = logprob.text();
            tokens.add(text);
            values.add(logprob.logprob());
            Map<String, Float> alternatives = new LinkedHashMap<>();
            logprob.top().forEach(t -> alternatives.putIfAbsent(t.text(), t.logprob()));
            top.add(alternatives);
            offsets.add(at);
            at += text.length();
        }
        return new TextLogprobs(tokens, values, top, offsets);
    }

    private static List<Integer> bytes(byte[] token) {
        List<Integer> bytes = new ArrayList<>(token.length);
        for (byte b : token) {
            bytes.add(b & 0xFF);
        }
        return bytes;
    }
}
