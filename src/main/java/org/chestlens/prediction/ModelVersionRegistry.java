package org.chestlens.prediction;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.chestlens.platform.WhereClause;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The model versions known to the database. Registering is idempotent and safe when several
 * replicas start at once; registering a known version with other fold checksums fails, because a
 * version number must always mean the same weights.
 */
@Service
public class ModelVersionRegistry {

    /** A model version as the service loaded it. */
    public record ModelVersionSpec(String modelId, String version, boolean trained, String outputFormulation,
                                   List<String> foldChecksums, String notice) {
    }

    record ModelVersionRow(long id, String modelId, String version, boolean trained, List<String> foldChecksums,
                           String notice) {
    }

    private final JdbcClient jdbc;
    // Rows never change once written, so they are cached for the hot path.
    private final Map<Long, ModelVersionRow> byId = new ConcurrentHashMap<>();
    private final Map<String, ModelVersionRow> byName = new ConcurrentHashMap<>();

    ModelVersionRegistry(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional
    public long register(ModelVersionSpec spec) {
        jdbc.sql("""
                        INSERT INTO model_version (model_id, version, trained, output_formulation, fold_checksums, notice)
                        VALUES (:modelId, :version, :trained, :formulation, :checksums, :notice)
                        ON CONFLICT (model_id, version) DO UPDATE SET notice = EXCLUDED.notice""")
                .param("modelId", spec.modelId())
                .param("version", spec.version())
                .param("trained", spec.trained())
                .param("formulation", spec.outputFormulation())
                .param("checksums", spec.foldChecksums().toArray(String[]::new))
                .param("notice", spec.notice())
                .update();
        ModelVersionRow row = find(spec.modelId(), spec.version()).orElseThrow();
        if (!row.foldChecksums().equals(spec.foldChecksums())) {
            throw new IllegalStateException("Model " + spec.modelId() + " version " + spec.version()
                    + " was registered with fold checksums " + row.foldChecksums() + " but the package now has "
                    + spec.foldChecksums() + "; give changed weights a new version");
        }
        return row.id();
    }

    Optional<ModelVersionRow> find(String modelId, String version) {
        ModelVersionRow cached = byName.get(modelId + "\u0000" + version);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<ModelVersionRow> row = jdbc.sql("""
                        SELECT id, model_id, version, trained, fold_checksums, notice FROM model_version
                        WHERE model_id = :modelId AND version = :version""")
                .param("modelId", modelId)
                .param("version", version)
                .query(ModelVersionRegistry::row)
                .optional();
        row.ifPresent(r -> {
            byId.put(r.id(), r);
            byName.put(modelId + "\u0000" + version, r);
        });
        return row;
    }

    /**
     * The registered version of the model: {@code version} when it is registered, or the newest
     * registered one when {@code version} is null.
     */
    @Transactional(readOnly = true)
    public Optional<String> registeredVersion(String modelId, String version) {
        WhereClause where = WhereClause.where("model_id = :modelId").and("version = :version", "version", version);
        return jdbc.sql("SELECT version FROM model_version %s ORDER BY id DESC LIMIT 1".formatted(where))
                .params(where.params()).param("modelId", modelId).query(String.class).optional();
    }

    /** How the version's raw outputs become probabilities ({@code softmax4} or {@code sigmoid3}), as registered. */
    public String outputFormulation(long modelVersionId) {
        return jdbc.sql("SELECT output_formulation FROM model_version WHERE id = :id").param("id", modelVersionId)
                .query(String.class).single();
    }

    /** The internal id of a registered model version. */
    public Optional<Long> idOf(String modelId, String version) {
        return find(modelId, version).map(ModelVersionRow::id);
    }

    /** The internal ids of the model's versions, by which other tables refer to them. */
    public List<Long> idsOf(String modelId) {
        return jdbc.sql("SELECT id FROM model_version WHERE model_id = :modelId")
                .param("modelId", modelId)
                .query(Long.class)
                .list();
    }

    ModelVersionRow byId(long id) {
        return byId.computeIfAbsent(id, key -> jdbc.sql("""
                        SELECT id, model_id, version, trained, fold_checksums, notice FROM model_version WHERE id = :id""")
                .param("id", key)
                .query(ModelVersionRegistry::row)
                .single());
    }

    private static ModelVersionRow row(java.sql.ResultSet rs, int rowNumber) throws java.sql.SQLException {
        return new ModelVersionRow(rs.getLong("id"), rs.getString("model_id"), rs.getString("version"),
                rs.getBoolean("trained"), List.of((String[]) rs.getArray("fold_checksums").getArray()),
                rs.getString("notice"));
    }
}
