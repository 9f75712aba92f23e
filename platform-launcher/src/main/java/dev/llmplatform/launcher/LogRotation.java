package dev.llmplatform.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Logs are appended across starts, so that the evidence of a crash survives the restart, and rotated at a start
 * once they pass a size: {@code name.log} becomes {@code name.log.1}, the older ones shift up, and the oldest beyond
 * the kept count is dropped.
 */
final class LogRotation {

    static final long MAX_BYTES = 20L * 1024 * 1024;
    static final int KEPT = 3;

    private LogRotation() {
    }

    static void rotateIfLarger(Path log, long maxBytes, int kept) throws IOException {
        if (!Files.isRegularFile(log) || Files.size(log) <= maxBytes) {
            return;
        }
        Files.deleteIfExists(numbered(log, kept));
        for (int i = kept - 1; i >= 1; i--) {
            if (Files.exists(numbered(log, i))) {
                Files.move(numbered(log, i), numbered(log, i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.move(log, numbered(log, 1), StandardCopyOption.REPLACE_EXISTING);
    }

    private static Path numbered(Path log, int n) {
        return log.resolveSibling(log.getFileName() + "." + n);
    }
}
