package dev.llmplatform.worker.cpu;

import dev.llmplatform.worker.core.config.WorkerCoreConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Import;

/** The CPU worker: the shared worker core on llama.cpp's CPU build, plus embedding models (ONNX). */
@SpringBootApplication
@ConfigurationPropertiesScan
@Import(WorkerCoreConfiguration.class)
public class WorkerApplication {

    public static void main(String[] args) {
        SpringApplication.run(WorkerApplication.class, args);
    }
}
