package dev.llmplatform.monitoring;

import java.nio.file.Path;

final class Repository {

    static final Path ROOT = Path.of(System.getProperty("platform.root", "..")).toAbsolutePath().normalize();

    private Repository() {
    }
}
