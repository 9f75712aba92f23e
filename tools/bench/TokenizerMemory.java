import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import dev.llmplatform.tokenizer.domain.ModelTokenizer;
import dev.llmplatform.tokenizer.infra.LlamaCppTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What opening a model's tokenizer adds to the process's RSS (tools/bench/tokenizer-memory.sh runs it).
 * {@code vocabulary}: the tokenizer service's LlamaCppTokenizer (a vocabulary-only copy); {@code whole}: the model file
 * itself opened through the same binding and settings, as the service did before. One JVM per mode.
 * Usage: java -cp <tokenizer-service classpath> TokenizerMemory.java vocabulary|whole MODEL.gguf
 */
public final class TokenizerMemory {

    public static void main(String[] args) throws Exception {
        Path gguf = Path.of(args[1]);
        System.gc();
        long[] before = rssMb();
        AutoCloseable opened;
        if (args[0].equals("whole")) {
            var model = new LlamaModel(new ModelParameters().setModel(gguf.toString()).setCtxSize(256).setParallel(1)
                    .setThreads(1).setGpuLayers(0).enableJinja());
            model.encode("And God said, Let there be light");
            opened = model;
        } else {
            var tokenizer = new LlamaCppTokenizer("m", gguf, Files.createTempDirectory("vocabularies"));
            tokenizer.encode("And God said, Let there be light", true);
            tokenizer.applyChatTemplate(List.of(new ModelTokenizer.Message("user", "hi")), true);
            opened = tokenizer;
        }
        System.gc();
        long[] after = rssMb();
        // file-backed pages are the mapped model (and jars); anonymous ones the heap and native allocations
        System.out.printf("mode=%s model_mb=%d rss_growth_mb=%d file_backed_growth_mb=%d anonymous_growth_mb=%d%n", args[0],
                Files.size(gguf) >> 20, after[0] - before[0], after[1] - before[1], after[2] - before[2]);
        opened.close();
        System.exit(0); // the binding leaves non-daemon threads behind
    }

    /** VmRSS, RssFile and RssAnon in MB. */
    private static long[] rssMb() throws Exception {
        long[] mb = new long[3];
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            int i = line.startsWith("VmRSS:") ? 0 : line.startsWith("RssFile:") ? 1 : line.startsWith("RssAnon:") ? 2 : -1;
            if (i >= 0) {
                mb[i] = Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
            }
        }
        return mb;
    }
}
