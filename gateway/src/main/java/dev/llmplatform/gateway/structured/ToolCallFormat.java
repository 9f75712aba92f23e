package dev.llmplatform.gateway.structured;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * The format, strictly: the parsers accept exactly one key in the outer object, and in each call {@code name},
 * then {@code arguments} (an object), then optionally {@code id}, so streaming can announce a call by name
 * before its arguments arrive.
 */
final class ToolCallFormat {
    static final JsonMapper JSON = JsonMapper.builder().build();

    private ToolCallFormat() {}

    static final class NotTheFormat extends Exception {
        NotTheFormat() {
            super(null, null, false, false);
        }
    }

    static ToolCallOutput read(JsonParser json, String text, Supplier<String> ids) throws NotTheFormat {
        expect(json, JsonToken.START_OBJECT);
        String key = property(json);
        ToolCallOutput output;
        if (key.equals("response")) {
            expect(json, JsonToken.VALUE_STRING);
            output = new ToolCallOutput.Answer(json.getString());
        } else if (key.equals("tool_calls")) {
            output = calls(json, text, ids);
        } else {
            throw new NotTheFormat();
        }
        expect(json, JsonToken.END_OBJECT);
        if (json.nextToken() != null) {
            throw new NotTheFormat();
        }
        return output;
    }

    private static ToolCallOutput.Calls calls(JsonParser json, String text, Supplier<String> ids) throws NotTheFormat {
        expect(json, JsonToken.START_ARRAY);
        List<ToolCall> calls = new ArrayList<>();
        for (JsonToken token = json.nextToken(); token != JsonToken.END_ARRAY; token = json.nextToken()) {
            if (token != JsonToken.START_OBJECT || !property(json).equals("name")) {
                throw new NotTheFormat();
            }
            expect(json, JsonToken.VALUE_STRING);
            String name = json.getString();
            if (!property(json).equals("arguments")) {
                throw new NotTheFormat();
            }
            expect(json, JsonToken.START_OBJECT);
            int start = (int) json.currentTokenLocation().getCharOffset();
            json.skipChildren();
            int end = (int) json.currentTokenLocation().getCharOffset() + 1;
            calls.add(new ToolCall(ids.get(), name, compact(text.substring(start, end))));
            JsonToken after = json.nextToken();
            if (after == JsonToken.PROPERTY_NAME && json.currentName().equals("id")) {
                expect(json, JsonToken.VALUE_STRING);
                after = json.nextToken();
            }
            if (after != JsonToken.END_OBJECT) {
                throw new NotTheFormat();
            }
        }
        if (calls.isEmpty()) {
            throw new NotTheFormat();
        }
        return new ToolCallOutput.Calls(calls);
    }

    private static String property(JsonParser json) throws NotTheFormat {
        expect(json, JsonToken.PROPERTY_NAME);
        return json.currentName();
    }

    private static void expect(JsonParser json, JsonToken token) throws NotTheFormat {
        if (json.nextToken() != token) {
            throw new NotTheFormat();
        }
    }

    /** Valid JSON text without the whitespace between tokens. */
    static String compact(String json) {
        StringBuilder out = new StringBuilder(json.length());
        JsonTextCompactor compactor = new JsonTextCompactor();
        for (int i = 0; i < json.length(); i++) {
            compactor.accept(json.charAt(i), out);
        }
        return out.toString();
    }
}
