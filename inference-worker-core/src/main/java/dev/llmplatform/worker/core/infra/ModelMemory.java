package dev.llmplatform.worker.core.infra;

import dev.llmplatform.commons.gguf.GgufMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The memory the loaded models occupy, as the load report states it: each GGUF file that llama.cpp has mapped
 * into this process counts at its file size (the weights), plus the KV cache llama.cpp allocates for
 * {@code contextTokens} tokens at f16: 2 (K and V) × layers × tokens × kv heads × head size × 2 bytes.
 * The mapped files are read from /proc/self/maps, so a model counts exactly while it is loaded; where that file
 * does not exist (not Linux) the figure is 0 rather than a guess.
 */
public final class ModelMemory {

    private static final Path MAPS = Path.of("/proc/self/maps");

    private final Map<Path, Optional<Long>> kvBytesPerToken = new ConcurrentHashMap<>();

    /** @param contextTokens KV cache tokens allocated per model (slots × context per slot) */
    public long bytes(long contextTokens) {
        long total = 0;
        for (Path file : mappedModelFiles()) {
            try {
                total += Files.size(file);
            } catch (IOException gone) {
                continue;
            }
            total += kvBytesPerToken.computeIfAbsent(file, ModelMemory::kvBytesPerToken).orElse(0L) * contextTokens;
        }
        return total;
    }

    static Set<Path> mappedModelFiles() {
        Set<Path> files = new TreeSet<>();
        if (!Files.isReadable(MAPS)) {
            return files;
        }
        try (var lines = Files.lines(MAPS)) {
            lines.map(line -> line.substring(line.lastIndexOf(' ') + 1))
                    .filter(name -> name.endsWith(".gguf"))
                    .forEach(name -> files.add(Path.of(name)));
        } catch (IOException | java.io.UncheckedIOException e) {
            return files;
        }
        return files;
    }

    static Optional<Long> kvBytesPerToken(Path gguf) {
        try {
            var metadata = GgufMetadata.read(gguf);
            String arch = metadata.architecture();
            var layers = metadata.integer(arch + ".block_count");
            var embedding = metadata.integer(arch + ".embedding_length");
            var heads = metadata.integer(arch + ".attention.head_count");
            if (layers.isEmpty() || embedding.isEmpty() || heads.isEmpty() || heads.get() == 0) {
                return Optional.empty();
            }
            long kvHeads = metadata.integer(arch + ".attention.head_count_kv").orElse(heads.get());
            long headSize = embedding.get() / heads.get();
            return Optional.of(2 * layers.get() * kvHeads * headSize * 2);
        } catch (IOException | RuntimeException unreadable) {
            return Optional.empty();
        }
    }
}
