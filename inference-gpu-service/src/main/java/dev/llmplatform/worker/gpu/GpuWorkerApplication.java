package dev.llmplatform.worker.gpu;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class GpuWorkerApplication {

    public static void main(String[] args) {
        SpringApplication.run(GpuWorkerApplication.class, args);
    }
}
