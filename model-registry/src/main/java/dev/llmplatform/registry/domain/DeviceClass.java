package dev.llmplatform.registry.domain;

/** The hardware a variant is built for. */
public enum DeviceClass {
    CPU, GPU;

    public static DeviceClass parse(String value, String param) {
        return Enums.parse(DeviceClass.class, value, param);
    }
}
