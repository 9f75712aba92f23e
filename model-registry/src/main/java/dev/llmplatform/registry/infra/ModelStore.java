package dev.llmplatform.registry.infra;

import dev.llmplatform.registry.domain.DeviceClass;
import dev.llmplatform.registry.domain.Format;
import dev.llmplatform.registry.domain.Lifecycle;
import dev.llmplatform.registry.domain.ModelChange;
import dev.llmplatform.registry.domain.ModelVersion;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.RegistryException;
import dev.llmplatform.registry.domain.Stage;
import dev.llmplatform.registry.domain.Task;
import dev.llmplatform.registry.domain.Variant;
import dev.llmplatform.registry.domain.VariantMeasurements;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/**
 * Models, versions and variants in the registry's database (PostgreSQL in deployment, H2 on a laptop). Every write
 * is one transaction that also bumps the registry revision and appends to the change log, so a promotion (alias
 * moved, old version archived, change recorded) is all or nothing, and watchers see changes in commit order.
 */
@Repository
public class ModelStore {

    private final JdbcClient jdbc;

    public ModelStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional(readOnly = true)
    public List<RegisteredModel> findAll() {
        List<ModelRow> rows = jdbc.sql("SELECT * FROM models ORDER BY id").query(ModelStore::modelRow).list();
        Map<String, List<ModelVersion>> versions = versionsBy(null);
        return rows.stream().map(r -> r.toModel(versions.getOrDefault(r.id(), List.of()))).toList();
    }

    @Transactional(readOnly = true)
    public Optional<RegisteredModel> findById(String id) {
        return jdbc.sql("SELECT * FROM models WHERE id = :id").param("id", id).query(ModelStore::modelRow).optional()
                .map(r -> r.toModel(versionsBy(id).getOrDefault(id, List.of())));
    }

    /** The current revision and every model as of then, read in one transaction. */
    @Transactional(readOnly = true)
    public Snapshot snapshot() {
        long revision = jdbc.sql("SELECT revision FROM registry_revision WHERE id = 1").query(Long.class).single();
        return new Snapshot(revision, findAll());
    }

    public record Snapshot(long revision, List<RegisteredModel> models) {
    }

    @Transactional(readOnly = true)
    public List<ModelChange> changesAfter(long revision) {
        return jdbc.sql("SELECT * FROM model_changes WHERE revision > :revision ORDER BY revision")
                .param("revision", revision)
                .query((rs, n) -> new ModelChange(rs.getLong("revision"), rs.getString("model_id"),
                        ModelChange.Kind.valueOf(rs.getString("kind")), rs.getString("version")))
                .list();
    }

    /** Forgets change-log entries older than {@code age}: a watcher that reconnects starts from a snapshot anyway. */
    @Transactional
    public int pruneChanges(java.time.Duration age) {
        return jdbc.sql("DELETE FROM model_changes WHERE changed_at < :before")
                .param("before", Timestamp.from(Instant.now().minus(age))).update();
    }

    @Transactional(readOnly = true)
    public Map<Stage, Long> versionsPerStage() {
        Map<Stage, Long> counts = new EnumMap<>(Stage.class);
        for (Stage stage : Stage.values()) {
            counts.put(stage, 0L);
        }
        jdbc.sql("SELECT stage, COUNT(*) AS n FROM model_versions GROUP BY stage")
                .query((rs, n) -> Map.entry(Stage.valueOf(rs.getString("stage")), rs.getLong("n"))).list()
                .forEach(e -> counts.put(e.getKey(), e.getValue()));
        return counts;
    }

    @Transactional
    public RegisteredModel registerModel(String id, String ownedBy, String description, Task task) {
        Lifecycle.checkName(id, "id");
        long revision = nextRevision();
        if (exists(id)) {
            throw new RegistryException.AlreadyExists("model '" + id + "' is already registered", "id");
        }
        jdbc.sql("""
                INSERT INTO models (id, owned_by, description, task, created_at)
                VALUES (:id, :ownedBy, :description, :task, :createdAt)""")
                .param("id", id).param("ownedBy", ownedBy).param("description", description)
                .param("task", task.label()).param("createdAt", now()).update();
        record(revision, id, ModelChange.Kind.REGISTERED, "");
        return findById(id).orElseThrow();
    }

    @Transactional
    public ModelVersion registerVersion(String modelId, String version, String description) {
        Lifecycle.checkName(version, "version");
        long revision = nextRevision();
        RegisteredModel model = require(modelId);
        if (model.version(version).isPresent()) {
            throw new RegistryException.AlreadyExists("version '" + version + "' of model '" + modelId + "' already exists", "version");
        }
        Timestamp now = now();
        jdbc.sql("""
                INSERT INTO model_versions (model_id, version, stage, description, created_at, stage_changed_at)
                VALUES (:modelId, :version, 'REGISTERED', :description, :now, :now)""")
                .param("modelId", modelId).param("version", version).param("description", description).param("now", now)
                .update();
        record(revision, modelId, ModelChange.Kind.VERSION_REGISTERED, version);
        return require(modelId).version(version).orElseThrow();
    }

    /** Checks, before any bytes are stored, that a variant could be added to this version. */
    @Transactional(readOnly = true)
    public ModelVersion checkVariantCanBeAdded(String modelId, String version, String variantId) {
        Lifecycle.checkName(variantId, "variant_id");
        ModelVersion target = requireVersion(modelId, version);
        Lifecycle.checkVariantsOpen(target);
        if (target.variant(variantId).isPresent()) {
            throw new RegistryException.AlreadyExists("variant '" + variantId + "' of version '" + version + "' of model '"
                    + modelId + "' already exists", "variant_id");
        }
        return target;
    }

    @Transactional
    public ModelVersion addVariant(String modelId, String version, Variant variant) {
        long revision = nextRevision();
        checkVariantCanBeAdded(modelId, version, variant.variantId());
        insertVariant(modelId, version, variant);
        record(revision, modelId, ModelChange.Kind.VARIANT_ADDED, version);
        return requireVersion(modelId, version);
    }

    /**
     * Adds a variant the platform derived from one of the version's own variants (a quantization of its F16). Unlike
     * an upload this may go to the production version: the weights are the version's, only their number format
     * differs, and what workers serve does not change (they serve the first GGUF in variant-id order, and a derived
     * variant's id starts with its source's). Never to an archived version.
     */
    @Transactional
    public ModelVersion addDerivedVariant(String modelId, String version, Variant variant) {
        long revision = nextRevision();
        ModelVersion target = requireVersion(modelId, version);
        if (target.stage() != Stage.PRODUCTION) {
            Lifecycle.checkVariantsOpen(target);
        }
        Lifecycle.checkName(variant.variantId(), "variant_id");
        if (target.variant(variant.variantId()).isPresent()) {
            throw new RegistryException.AlreadyExists("variant '" + variant.variantId() + "' of version '" + version + "' of model '"
                    + modelId + "' already exists", "variant_id");
        }
        insertVariant(modelId, version, variant);
        record(revision, modelId, ModelChange.Kind.VARIANT_ADDED, version);
        return requireVersion(modelId, version);
    }

    /** Stores (or replaces) what a worker measured about a variant. */
    @Transactional
    public ModelVersion saveMeasurements(String modelId, String version, String variantId, VariantMeasurements m) {
        long revision = nextRevision();
        ModelVersion target = requireVersion(modelId, version);
        if (target.variant(variantId).isEmpty()) {
            throw new RegistryException.NotFound("model '" + modelId + "' has no variant '" + variantId + "' in version '" + version + "'", "variant_id");
        }
        jdbc.sql("DELETE FROM variant_measurements WHERE model_id = :modelId AND version = :version AND variant_id = :variantId")
                .param("modelId", modelId).param("version", version).param("variantId", variantId).update();
        jdbc.sql("""
                INSERT INTO variant_measurements (model_id, version, variant_id, perplexity, scored_tokens, text_name,
                    reference_variant_id, top1_agreement, kl_divergence, decode_tokens_per_second, memory_bytes, device_class,
                    device, measured_at)
                VALUES (:modelId, :version, :variantId, :perplexity, :scoredTokens, :textName, :reference, :top1, :kl,
                    :decode, :memory, :deviceClass, :device, :measuredAt)""")
                .param("modelId", modelId).param("version", version).param("variantId", variantId)
                .param("perplexity", m.perplexity()).param("scoredTokens", m.scoredTokens()).param("textName", m.textName())
                .param("reference", m.referenceVariantId()).param("top1", m.top1Agreement().orElse(null))
                .param("kl", m.klDivergence().orElse(null)).param("decode", m.decodeTokensPerSecond())
                .param("memory", m.memoryBytes()).param("deviceClass", m.deviceClass().name()).param("device", m.device())
                .param("measuredAt", Timestamp.from(m.measuredAt().truncatedTo(ChronoUnit.SECONDS))).update();
        record(revision, modelId, ModelChange.Kind.VARIANT_MEASURED, version);
        return requireVersion(modelId, version);
    }

    private void insertVariant(String modelId, String version, Variant variant) {
        jdbc.sql("""
                INSERT INTO model_variants (model_id, version, variant_id, format, quantization, device_class, uri, sha256,
                                            size_bytes, tokenizer_uri, context_length, chat_template, licence, created_at)
                VALUES (:modelId, :version, :variantId, :format, :quantization, :deviceClass, :uri, :sha256,
                        :sizeBytes, :tokenizerUri, :contextLength, :chatTemplate, :licence, :createdAt)""")
                .param("modelId", modelId).param("version", version).param("variantId", variant.variantId())
                .param("format", variant.format().name()).param("quantization", variant.quantization())
                .param("deviceClass", variant.deviceClass().name()).param("uri", variant.uri())
                .param("sha256", variant.sha256()).param("sizeBytes", variant.sizeBytes())
                .param("tokenizerUri", variant.tokenizerUri()).param("contextLength", variant.contextLength())
                .param("chatTemplate", variant.chatTemplate()).param("licence", variant.licence())
                .param("createdAt", now()).update();
    }

    /**
     * Moves a version to a stage. Promotion is one transaction: the previous production version is archived, the
     * alias moves, and the change is logged; readers see either the old or the new production version, never none.
     */
    @Transactional
    public ModelVersion setStage(String modelId, String version, Stage target) {
        long revision = nextRevision();
        ModelVersion current = requireVersion(modelId, version);
        if (current.stage() == target) {
            return current;
        }
        Lifecycle.checkTransition(current, target);
        Timestamp now = now();
        if (target == Stage.PRODUCTION) {
            jdbc.sql("""
                    UPDATE model_versions SET stage = 'ARCHIVED', stage_changed_at = :now
                    WHERE model_id = :modelId AND stage = 'PRODUCTION'""")
                    .param("modelId", modelId).param("now", now).update();
            jdbc.sql("UPDATE models SET production_version = :version WHERE id = :modelId")
                    .param("modelId", modelId).param("version", version).update();
        }
        jdbc.sql("UPDATE model_versions SET stage = :stage, stage_changed_at = :now WHERE model_id = :modelId AND version = :version")
                .param("stage", target.name()).param("now", now).param("modelId", modelId).param("version", version).update();
        record(revision, modelId, target == Stage.PRODUCTION ? ModelChange.Kind.PROMOTED : ModelChange.Kind.STAGE_CHANGED, version);
        return requireVersion(modelId, version);
    }

    /** Deletes a version that is not in production; returns it so the caller can remove its artifacts. */
    @Transactional
    public ModelVersion deleteVersion(String modelId, String version) {
        long revision = nextRevision();
        ModelVersion existing = requireVersion(modelId, version);
        Lifecycle.checkDeletable(existing);
        jdbc.sql("DELETE FROM model_versions WHERE model_id = :modelId AND version = :version")
                .param("modelId", modelId).param("version", version).update();
        record(revision, modelId, ModelChange.Kind.DELETED, version);
        return existing;
    }

    /** Deletes a model with all its versions; returns it so the caller can remove its artifacts. */
    @Transactional
    public RegisteredModel deleteModel(String modelId) {
        long revision = nextRevision();
        RegisteredModel existing = require(modelId);
        jdbc.sql("DELETE FROM model_variants WHERE model_id = :id").param("id", modelId).update();
        jdbc.sql("DELETE FROM model_versions WHERE model_id = :id").param("id", modelId).update();
        jdbc.sql("DELETE FROM models WHERE id = :id").param("id", modelId).update();
        record(revision, modelId, ModelChange.Kind.DELETED, "");
        return existing;
    }

    private RegisteredModel require(String modelId) {
        return findById(modelId).orElseThrow(() -> new RegistryException.NotFound("model '" + modelId + "' is not registered", "model"));
    }

    private ModelVersion requireVersion(String modelId, String version) {
        return require(modelId).version(version).orElseThrow(() -> new RegistryException.NotFound(
                "model '" + modelId + "' has no version '" + version + "'", "version"));
    }

    private boolean exists(String id) {
        return jdbc.sql("SELECT COUNT(*) FROM models WHERE id = :id").param("id", id).query(Integer.class).single() > 0;
    }

    /** Takes the revision row's lock for the rest of the transaction: writers queue here, one at a time. */
    private long nextRevision() {
        jdbc.sql("UPDATE registry_revision SET revision = revision + 1 WHERE id = 1").update();
        return jdbc.sql("SELECT revision FROM registry_revision WHERE id = 1").query(Long.class).single();
    }

    private void record(long revision, String modelId, ModelChange.Kind kind, String version) {
        jdbc.sql("INSERT INTO model_changes (revision, model_id, kind, version, changed_at) VALUES (:revision, :modelId, :kind, :version, :now)")
                .param("revision", revision).param("modelId", modelId).param("kind", kind.name()).param("version", version)
                .param("now", now()).update();
    }

    /** Second precision: what every client sees (epoch seconds), and equal on both databases. */
    private static Timestamp now() {
        return Timestamp.from(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }

    private Map<String, List<ModelVersion>> versionsBy(String modelIdOrNull) {
        String filter = modelIdOrNull == null ? "" : " WHERE model_id = :id";
        Map<String, List<Variant>> variants = new LinkedHashMap<>();
        var variantQuery = jdbc.sql("SELECT * FROM model_variants" + filter + " ORDER BY model_id, version, variant_id");
        var versionQuery = jdbc.sql("SELECT * FROM model_versions" + filter + " ORDER BY model_id, created_at, version");
        if (modelIdOrNull != null) {
            variantQuery = variantQuery.param("id", modelIdOrNull);
            versionQuery = versionQuery.param("id", modelIdOrNull);
        }
        Map<String, VariantMeasurements> measured = new LinkedHashMap<>();
        var measuredQuery = jdbc.sql("SELECT * FROM variant_measurements" + filter);
        if (modelIdOrNull != null) {
            measuredQuery = measuredQuery.param("id", modelIdOrNull);
        }
        measuredQuery.query((rs, n) -> Map.entry(rs.getString("model_id") + "\u0000" + rs.getString("version") + "\u0000"
                + rs.getString("variant_id"), measurements(rs))).list().forEach(e -> measured.put(e.getKey(), e.getValue()));
        variantQuery.query((rs, n) -> Map.entry(rs.getString("model_id") + "\u0000" + rs.getString("version"), variant(rs, measured))).list()
                .forEach(e -> variants.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
        Map<String, List<ModelVersion>> versions = new LinkedHashMap<>();
        versionQuery.query((rs, n) -> {
            String modelId = rs.getString("model_id");
            String version = rs.getString("version");
            return new ModelVersion(modelId, version, Stage.valueOf(rs.getString("stage")), rs.getString("description"),
                    rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("stage_changed_at").toInstant(),
                    variants.getOrDefault(modelId + "\u0000" + version, List.of()));
        }).list().forEach(v -> versions.computeIfAbsent(v.modelId(), k -> new ArrayList<>()).add(v));
        return versions;
    }

    private record ModelRow(String id, String ownedBy, String description, Task task, Instant createdAt, Optional<String> production) {
        RegisteredModel toModel(List<ModelVersion> versions) {
            return new RegisteredModel(id, ownedBy, description, task, createdAt, production, versions);
        }
    }

    private static ModelRow modelRow(ResultSet rs, int row) throws SQLException {
        return new ModelRow(rs.getString("id"), rs.getString("owned_by"), rs.getString("description"),
                Task.parse(rs.getString("task"), "task"), rs.getTimestamp("created_at").toInstant(),
                Optional.ofNullable(rs.getString("production_version")));
    }

    private static VariantMeasurements measurements(ResultSet rs) throws SQLException {
        return new VariantMeasurements(rs.getDouble("perplexity"), rs.getInt("scored_tokens"), rs.getString("text_name"),
                rs.getString("reference_variant_id"), Optional.ofNullable(rs.getObject("top1_agreement", Double.class)),
                Optional.ofNullable(rs.getObject("kl_divergence", Double.class)), rs.getDouble("decode_tokens_per_second"),
                rs.getLong("memory_bytes"), DeviceClass.valueOf(rs.getString("device_class")), rs.getString("device"),
                rs.getTimestamp("measured_at").toInstant());
    }

    private static Variant variant(ResultSet rs, Map<String, VariantMeasurements> measured) throws SQLException {
        String key = rs.getString("model_id") + "\u0000" + rs.getString("version") + "\u0000" + rs.getString("variant_id");
        return new Variant(rs.getString("variant_id"), Format.valueOf(rs.getString("format")), rs.getString("quantization"),
                DeviceClass.valueOf(rs.getString("device_class")), rs.getString("uri"), rs.getString("sha256").trim(),
                rs.getLong("size_bytes"), rs.getString("tokenizer_uri"), rs.getInt("context_length"),
                rs.getString("chat_template"), rs.getString("licence"), rs.getTimestamp("created_at").toInstant(),
                Optional.ofNullable(measured.get(key)));
    }
}
