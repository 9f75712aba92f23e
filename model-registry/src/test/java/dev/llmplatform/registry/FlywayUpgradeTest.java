package dev.llmplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/** A database written by the first release (V1: models with artifacts) upgrades to versions without losing a model. */
class FlywayUpgradeTest {

    @TempDir
    Path data;

    @Test
    void v1ArtifactsBecomeVersionOneInProduction() throws Exception {
        var dataSource = new SimpleDriverDataSource(new org.h2.Driver(), "jdbc:h2:file:" + data.resolve("registry"), "sa", "");
        var jdbc = JdbcClient.create(dataSource);
        Flyway.configure().dataSource(dataSource).target("1").load().migrate();
        jdbc.sql("""
                INSERT INTO models (id, owned_by, description, licence, context_length, chat_template, created_at)
                VALUES ('old-model', 'acme', 'from V1', 'MIT', 1024, 'tmpl', CURRENT_TIMESTAMP)""").update();
        jdbc.sql("""
                INSERT INTO model_artifacts (model_id, variant_id, format, quantization, device_class, uri, sha256, size_bytes)
                VALUES ('old-model', 'cpu-q8', 'GGUF', 'Q8_0', 'CPU', 'file:///m.gguf', :sha, 42)""").param("sha", "a".repeat(64)).update();

        Flyway.configure().dataSource(dataSource).load().migrate();

        assertThat(jdbc.sql("SELECT production_version FROM models WHERE id = 'old-model'").query(String.class).single()).isEqualTo("1");
        assertThat(jdbc.sql("SELECT stage FROM model_versions WHERE model_id = 'old-model' AND version = '1'").query(String.class).single())
                .isEqualTo("PRODUCTION");
        assertThat(jdbc.sql("SELECT context_length || ':' || licence || ':' || chat_template || ':' || sha256 FROM model_variants WHERE model_id = 'old-model'")
                .query(String.class).single()).isEqualTo("1024:MIT:tmpl:" + "a".repeat(64));
    }
}
