package dev.llmplatform.registry.domain;

/** The file format of an artifact, which decides the engine that runs it. */
public enum Format {
    GGUF, ONNX;

    public static Format parse(String value, String param) {
        return Enums.parse(Format.class, value, param);
    }
}
