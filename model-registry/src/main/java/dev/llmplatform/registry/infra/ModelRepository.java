package dev.llmplatform.registry.infra;

import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.RegisteredModel.Artifact;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/** Models and their artifacts in the registry's database (PostgreSQL in deployment, H2 on a laptop). */
@Repository
public class ModelRepository {

    private final JdbcClient jdbc;

    public ModelRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional(readOnly = true)
    public List<RegisteredModel> findAll() {
        Map<String, RegisteredModel> models = new LinkedHashMap<>();
        jdbc.sql("SELECT * FROM models ORDER BY id").query(ModelRepository::model).list()
                .forEach(m -> models.put(m.id(), m));
        Map<String, List<Artifact>> artifacts = new LinkedHashMap<>();
        jdbc.sql("SELECT * FROM model_artifacts ORDER BY model_id, variant_id")
                .query((rs, n) -> Map.entry(rs.getString("model_id"), artifact(rs, n))).list()
                .forEach(e -> artifacts.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
        return models.values().stream()
                .map(m -> m.withArtifacts(artifacts.getOrDefault(m.id(), List.of())))
                .toList();
    }

    @Transactional(readOnly = true)
    public Optional<RegisteredModel> findById(String id) {
        return jdbc.sql("SELECT * FROM models WHERE id = :id").param("id", id).query(ModelRepository::model).optional()
                .map(m -> m.withArtifacts(jdbc.sql("SELECT * FROM model_artifacts WHERE model_id = :id ORDER BY variant_id")
                        .param("id", id).query(ModelRepository::artifact).list()));
    }

    /** Inserts the model or replaces its description and the artifacts named in it, in one transaction. */
    @Transactional
    public void save(RegisteredModel model) {
        int updated = jdbc.sql("""
                UPDATE models SET owned_by = :ownedBy, description = :description, licence = :licence,
                       context_length = :contextLength, chat_template = :chatTemplate
                WHERE id = :id""")
                .paramSource(modelParams(model)).update();
        if (updated == 0) {
            jdbc.sql("""
                    INSERT INTO models (id, owned_by, description, licence, context_length, chat_template, created_at)
                    VALUES (:id, :ownedBy, :description, :licence, :contextLength, :chatTemplate, :createdAt)""")
                    .paramSource(modelParams(model)).update();
        }
        for (Artifact a : model.artifacts()) {
            jdbc.sql("DELETE FROM model_artifacts WHERE model_id = :modelId AND variant_id = :variantId")
                    .param("modelId", model.id()).param("variantId", a.variantId()).update();
            jdbc.sql("""
                    INSERT INTO model_artifacts (model_id, variant_id, format, quantization, device_class, uri, sha256, size_bytes)
                    VALUES (:modelId, :variantId, :format, :quantization, :deviceClass, :uri, :sha256, :sizeBytes)""")
                    .param("modelId", model.id()).param("variantId", a.variantId()).param("format", a.format())
                    .param("quantization", a.quantization()).param("deviceClass", a.deviceClass().name())
                    .param("uri", a.uri()).param("sha256", a.sha256()).param("sizeBytes", a.sizeBytes())
                    .update();
        }
    }

    private static Map<String, Object> modelParams(RegisteredModel m) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("id", m.id());
        p.put("ownedBy", m.ownedBy());
        p.put("description", m.description());
        p.put("licence", m.licence());
        p.put("contextLength", m.contextLength());
        p.put("chatTemplate", m.chatTemplate());
        p.put("createdAt", Timestamp.from(m.createdAt()));
        return p;
    }

    private static RegisteredModel model(ResultSet rs, int row) throws SQLException {
        return new RegisteredModel(rs.getString("id"), rs.getString("owned_by"), rs.getString("description"),
                rs.getString("licence"), rs.getInt("context_length"), Optional.ofNullable(rs.getString("chat_template")).orElse(""),
                rs.getTimestamp("created_at").toInstant(), List.of());
    }

    private static Artifact artifact(ResultSet rs, int row) throws SQLException {
        return new Artifact(rs.getString("variant_id"), rs.getString("format"), rs.getString("quantization"),
                RegisteredModel.DeviceClass.valueOf(rs.getString("device_class")), rs.getString("uri"),
                rs.getString("sha256"), rs.getLong("size_bytes"));
    }
}
