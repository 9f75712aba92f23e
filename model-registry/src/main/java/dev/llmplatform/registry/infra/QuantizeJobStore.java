package dev.llmplatform.registry.infra;

import dev.llmplatform.registry.domain.QuantizeJob;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Quantize jobs in the registry's database, so that their outcome outlives the request and a restart. */
@Repository
public class QuantizeJobStore {

    private final JdbcClient jdbc;

    public QuantizeJobStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(QuantizeJob job) {
        jdbc.sql("""
                INSERT INTO quantize_jobs (id, model_id, version, source_variant, target_type, target_variant, state, stage,
                                           progress, message, created_at, updated_at)
                VALUES (:id, :modelId, :version, :source, :type, :target, :state, :stage, :progress, :message, :createdAt, :updatedAt)""")
                .param("id", job.id()).param("modelId", job.modelId()).param("version", job.version())
                .param("source", job.sourceVariant()).param("type", job.targetType()).param("target", job.targetVariant())
                .param("state", job.state().name()).param("stage", job.stage()).param("progress", job.progress())
                .param("message", job.message()).param("createdAt", Timestamp.from(job.createdAt()))
                .param("updatedAt", Timestamp.from(job.updatedAt())).update();
    }

    public void update(String id, QuantizeJob.State state, String stage, double progress, String message) {
        jdbc.sql("UPDATE quantize_jobs SET state = :state, stage = :stage, progress = :progress, message = :message, updated_at = :now WHERE id = :id")
                .param("id", id).param("state", state.name()).param("stage", stage).param("progress", progress)
                .param("message", message.length() > 2000 ? message.substring(0, 2000) : message)
                .param("now", Timestamp.from(Instant.now())).update();
    }

    public Optional<QuantizeJob> find(String id) {
        return jdbc.sql("SELECT * FROM quantize_jobs WHERE id = :id").param("id", id).query(QuantizeJobStore::job).optional();
    }

    public List<QuantizeJob> findAll() {
        return jdbc.sql("SELECT * FROM quantize_jobs ORDER BY created_at DESC, id").query(QuantizeJobStore::job).list();
    }

    /** A job of this target that is queued or running, if any: the same action twice runs once. */
    public Optional<QuantizeJob> unfinished(String modelId, String version, String targetVariant) {
        return jdbc.sql("""
                SELECT * FROM quantize_jobs WHERE model_id = :modelId AND version = :version AND target_variant = :target
                AND state IN ('QUEUED', 'RUNNING')""")
                .param("modelId", modelId).param("version", version).param("target", targetVariant)
                .query(QuantizeJobStore::job).optional();
    }

    /** At start: jobs the previous run of the registry left unfinished failed with it. Returns how many. */
    public int failUnfinished(String reason) {
        return jdbc.sql("UPDATE quantize_jobs SET state = 'FAILED', stage = 'failed', message = :reason, updated_at = :now WHERE state IN ('QUEUED', 'RUNNING')")
                .param("reason", reason).param("now", Timestamp.from(Instant.now())).update();
    }

    private static QuantizeJob job(ResultSet rs, int row) throws SQLException {
        return new QuantizeJob(rs.getString("id"), rs.getString("model_id"), rs.getString("version"), rs.getString("source_variant"),
                rs.getString("target_type"), rs.getString("target_variant"), QuantizeJob.State.valueOf(rs.getString("state")),
                rs.getString("stage"), rs.getDouble("progress"), rs.getString("message"), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant());
    }
}
