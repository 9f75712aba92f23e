package dev.llmplatform.tokenizer;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class TokenizerApplication {

    public static void main(String[] args) {
        SpringApplication.run(TokenizerApplication.class, args);
    }
}
