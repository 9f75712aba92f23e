package dev.llmplatform.tokenizer.infra;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.TokenizerAccess;
import de.kherud.llama.args.LogFormat;
import dev.llmplatform.commons.gguf.GgufMetadata;
import dev.llmplatform.tokenizer.config.TokenizerProperties;
import dev.llmplatform.tokenizer.domain.ModelTokenizer;
import dev.llmplatform.tokenizer.domain.PiecewiseEncoding;
import dev.llmplatform.tokenizer.domain.Progress;
import dev.llmplatform.tokenizer.domain.ToolsPrompt;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The tokenizer and chat template that llama.cpp reads from a GGUF file: exactly what the workers' engine uses,
 * so token counts and prompts agree with generation.
 */
public final class LlamaCppTokenizer implements ModelTokenizer {

    private static final Logger log = LoggerFactory.getLogger(LlamaCppTokenizer.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    static {
        LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> log.debug("llama.cpp {}: {}", level, message.strip()));
    }

    private final String modelId;
    private final LlamaModel model;
    private final boolean addBos;
    private final int bosId;
    private final int vocabularySize;
    private final Object templateLock = new Object();
    /** Whether the model's chat template reads the tools itself. */
    private final boolean templateTakesTools;

    /** Opens the vocabulary of {@code gguf} through a vocabulary-only copy in the JVM's temporary folder. */
    public LlamaCppTokenizer(String modelId, Path gguf) throws IOException {
        this(modelId, gguf, TokenizerProperties.DEFAULT_VOCABULARY_DIR);
    }

    /**
     * @param vocabularyDir where the vocabulary-only copy of {@code gguf} ({@link VocabularyFile}) is written, once:
     *                      llama.cpp opens that copy, so the model's weights are never mapped
     */
    public LlamaCppTokenizer(String modelId, Path gguf, Path vocabularyDir) throws IOException {
        Path vocabulary = VocabularyFile.of(gguf, vocabularyDir);
        // the copy holds the source's tokenizer metadata: reading it is cheaper than reading the model's header again
        GgufMetadata metadata = GgufMetadata.read(vocabulary);
        this.modelId = modelId;
        // llama.cpp's own default for SentencePiece ("llama") vocabularies is to add BOS.
        this.addBos = metadata.bool("tokenizer.ggml.add_bos_token")
                .orElse("llama".equals(metadata.string("tokenizer.ggml.model").orElse("")));
        this.bosId = metadata.integer("tokenizer.ggml.bos_token_id").map(Long::intValue).orElse(-1);
        this.templateTakesTools = metadata.string("tokenizer.chat_template").orElse("").contains("tools");
        this.vocabularySize = metadata.values().get("tokenizer.ggml.tokens") instanceof GgufMetadata.ArrayLength a ? (int) a.length() : 0;
        this.model = new LlamaModel(new ModelParameters()
                .setModel(vocabulary.toString())
                .setCtxSize(256)
                .setParallel(1)
                .setThreads(1)
                .setGpuLayers(0)
                .enableJinja());
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        return encode(text, addSpecial, Progress.NONE);
    }

    @Override
    public int[] encode(String text, boolean addSpecial, Progress progress) {
        int[] ids = PiecewiseEncoding.encode(model::encode, text, progress);
        if (addSpecial && addBos && bosId >= 0 && (ids.length == 0 || ids[0] != bosId)) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = bosId;
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }

    /** The whole text in one native call, whose cost grows with its length times its special tokens: for tests. */
    int[] encodeInOneCall(String text) {
        return model.encode(text);
    }

    @Override
    public byte[] decodeBytes(int[] tokenIds) {
        return TokenizerAccess.decodeBytes(model, tokenIds);
    }

    @Override
    public String applyChatTemplate(List<Message> messages, boolean addGenerationPrompt) {
        return applyChatTemplate(messages, addGenerationPrompt, Progress.NONE);
    }

    @Override
    public String applyChatTemplate(List<Message> messages, boolean addGenerationPrompt, Progress progress) {
        return applyChatTemplate(messages, "", addGenerationPrompt, progress);
    }

    /**
     * A template that takes tools renders them itself (through llama.cpp's chat code); one that takes none (the
     * default model's) gets them described briefly in a first system message ({@link ToolsPrompt}). Either way
     * llama.cpp renders earlier tool calls and tool results: as the template does, or as JSON where it cannot.
     * Tool JSON arrives already checked by the gateway; what does not parse is refused here all the same.
     */
    @Override
    public String applyChatTemplate(List<Message> messages, String toolsJson, boolean addGenerationPrompt, Progress progress) {
        ArrayNode array = JSON.createArrayNode();
        String tools = "";
        if (!toolsJson.isEmpty()) {
            json("tools", toolsJson);
            if (templateTakesTools) {
                tools = toolsJson;
            } else {
                array.addObject().put("role", "system").put("content", ToolsPrompt.describe(toolsJson));
            }
        }
        for (int i = 0; i < messages.size(); i++) {
            if (i % 256 == 0) {
                progress.check(0);
            }
            Message message = messages.get(i);
            ObjectNode node = array.addObject().put("role", message.role());
            if (!message.toolCallsJson().isEmpty()) {
                node.set("tool_calls", json("tool_calls", message.toolCallsJson()));
                if (message.content().isEmpty()) {
                    node.putNull("content");
                } else {
                    node.put("content", message.content());
                }
            } else {
                node.put("content", message.content());
            }
            if (!message.toolCallId().isEmpty()) {
                node.put("tool_call_id", message.toolCallId());
            }
        }
        progress.check(0);
        synchronized (templateLock) {
            return TokenizerAccess.applyTemplate(model, JSON.writeValueAsString(array), tools, addGenerationPrompt);
        }
    }

    private static JsonNode json(String field, String text) {
        try {
            JsonNode node = JSON.readTree(text);
            if (!node.isArray()) {
                throw new IllegalArgumentException(field + " must be a JSON array");
            }
            return node;
        } catch (JacksonException e) {
            throw new IllegalArgumentException(field + " is not JSON: " + e.getOriginalMessage());
        }
    }

    @Override
    public int vocabularySize() {
        return vocabularySize;
    }

    @Override
    public void close() {
        model.close();
    }
}
