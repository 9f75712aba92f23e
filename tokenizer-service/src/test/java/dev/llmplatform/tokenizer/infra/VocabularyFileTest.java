package dev.llmplatform.tokenizer.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.TokenizerAccess;
import dev.llmplatform.commons.gguf.GgufMetadata;
import dev.llmplatform.tokenizer.domain.ModelTokenizer.Message;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer service opens a vocabulary-only copy of a model and gets exactly what the whole model gives. */
class VocabularyFileTest {

    private static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf"))
            .toAbsolutePath().normalize();
    private static final String[] TEXTS = {
            "In the beginning God created the heaven and the earth.",
            "  And the earth was without form,\nand void; and darkness was upon the face of the deep.\n\n",
            "Genesis 1:3 — And God said, Let there be light: and there was light. 12345 ✝ 光 🙂",
            "<|im_start|>user\nspecial tokens written in the text<|im_end|>",
            "",
    };

    @TempDir
    static Path vocabularies;
    private static LlamaModel whole;
    private static LlamaCppTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        whole = new LlamaModel(new ModelParameters().setModel(GGUF.toString()).setCtxSize(256).setParallel(1)
                .setThreads(1).setGpuLayers(0).enableJinja());
        tokenizer = new LlamaCppTokenizer("tiny-kjv-chat", GGUF, vocabularies);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        whole.close();
    }

    @Test
    void tokenIdsAndTheirBytesAreThoseOfTheWholeModel() {
        for (String text : TEXTS) {
            int[] ids = whole.encode(text);
            assertThat(tokenizer.encodeInOneCall(text)).as(text).isEqualTo(ids);
            assertThat(tokenizer.decodeBytes(ids)).as(text).isEqualTo(TokenizerAccess.decodeBytes(whole, ids));
        }
        int[] everyToken = new int[tokenizer.vocabularySize()];
        for (int i = 0; i < everyToken.length; i++) {
            everyToken[i] = i;
        }
        assertThat(tokenizer.decodeBytes(everyToken)).isEqualTo(TokenizerAccess.decodeBytes(whole, everyToken));
    }

    @Test
    void chatPromptsAreThoseOfTheWholeModel() {
        String messages = """
                [{"role":"system","content":"Answer briefly."},{"role":"user","content":"Who made the light?"},
                 {"role":"assistant","content":"God."},{"role":"user","content":"When?"}]""";

        String prompt = tokenizer.applyChatTemplate(List.of(new Message("system", "Answer briefly."),
                new Message("user", "Who made the light?"), new Message("assistant", "God."), new Message("user", "When?")),
                true);

        assertThat(prompt).isEqualTo(TokenizerAccess.applyTemplate(whole, messages, true)).contains("<|im_start|>assistant");
    }

    @Test
    void theModelsWeightsAreNeverMappedOnlyTheSmallCopy(@TempDir Path dir) throws IOException {
        Path model = Files.copy(GGUF, dir.resolve("model-under-test.gguf"));

        try (var opened = new LlamaCppTokenizer("model-under-test", model, dir.resolve("vocabularies"))) {
            Path copy = VocabularyFile.of(model, dir.resolve("vocabularies"));
            String maps = Files.readString(Path.of("/proc/self/maps"));

            assertThat(opened.encode("And God said", false)).isEqualTo(whole.encode("And God said"));
            assertThat(maps).contains(copy.toString()).doesNotContain(model.toString());
            assertThat(Files.size(copy)).isLessThan(Files.size(model) / 10);
            var metadata = GgufMetadata.read(copy);
            assertThat(metadata.tensorCount()).isEqualTo(11);
            assertThat(metadata.string("tokenizer.chat_template")).isEqualTo(GgufMetadata.read(model).string("tokenizer.chat_template"));
        }
    }

    @Test
    void theCopyIsWrittenOnceAndReused() throws IOException {
        Path first = VocabularyFile.of(GGUF, vocabularies);
        var written = Files.getLastModifiedTime(first);

        assertThat(VocabularyFile.of(GGUF, vocabularies)).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(first)).isEqualTo(written);
        try (var files = Files.list(vocabularies)) {
            assertThat(files.filter(f -> f.toString().endsWith(".partial"))).isEmpty();
        }
    }

    @Test
    void aFileThatIsNotAGgufOrHasNoVocabularyIsRefused() {
        assertThatThrownBy(() -> VocabularyFile.write(new ByteArrayInputStream("not a model".getBytes()), new ByteArrayOutputStream()))
                .isInstanceOf(IOException.class).hasMessageContaining("not a GGUF");
        byte[] noKeys = {0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertThatThrownBy(() -> VocabularyFile.write(new ByteArrayInputStream(noKeys), new ByteArrayOutputStream()))
                .isInstanceOf(IOException.class).hasMessageContaining("no vocabulary");
    }
}
