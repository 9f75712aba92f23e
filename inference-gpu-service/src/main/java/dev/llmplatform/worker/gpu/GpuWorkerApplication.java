package dev.llmplatform.worker.gpu;

import dev.llmplatform.worker.core.config.WorkerCoreConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Import;

/** The GPU worker: the shared worker core on llama.cpp's CUDA build, with the GPUs' probe and telemetry. */
@SpringBootApplication
@ConfigurationPropertiesScan
@Import(WorkerCoreConfiguration.class)
public class GpuWorkerApplication {

    public static void main(String[] args) {
        SpringApplication.run(GpuWorkerApplication.class, args);
    }
}
