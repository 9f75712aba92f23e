package dev.llmplatform.worker.core.infra;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.LoadReport;
import java.util.List;
import java.util.Map;

/** What a deployable tells the shared worker about its hardware: the rest of the worker is the same on every device. */
public interface WorkerDevice {

    DeviceClass deviceClass();

    /** The llama.cpp build this worker computes on, or why it cannot. */
    Backend backend();

    /** Device classes of the GGUF artifacts this worker loads, preferred first. */
    List<DeviceClass> artifactClasses();

    /**
     * Adds what only the device knows to a load report: memory in use and accelerators.
     *
     * @param kvCapacityTokensPerModel KV cache tokens allocated for each loaded model (slots times context per slot)
     */
    void describe(LoadReport.Builder report, long kvCapacityTokensPerModel);

    /** Extra details for the readiness health indicator (no host paths). */
    default Map<String, Object> healthDetails() {
        return Map.of();
    }
}
