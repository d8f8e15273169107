package org.chestlens.prediction;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.TransactionMemo;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Operating point configurations per model version, and the flags a new prediction gets from the active one.
 * A configuration is never changed once stored (a new one is a new version); activating one deactivates the
 * others of its model version. Flags are decided when a prediction is stored and stored with it, with the
 * configuration version, so a later change of operating point never rewrites what was already reported.
 */
@Component
public class OperatingPoints {

    private static final TypeReference<List<OperatingPoint>> POINTS = new TypeReference<>() {
    };

    /** The flags of one prediction and the configuration version that decided them. */
    record Flags(int configurationVersion, List<String> findings) {
    }

    /** A configuration to store. */
    public record NewConfiguration(String source, ScoreSource scoreSource, List<OperatingPoint> points,
                                   Double targetSensitivity, Object cohort, Integer labelled, Integer bootstrap,
                                   Long seed, UUID calibrationId) {

        /** The stored source: the raw probabilities, or those of the calibration the points were derived on. */
        String storedScoreSource() {
            return calibrationId == null ? scoreSource.id() : ScoreSource.calibrated(calibrationId);
        }
    }

    private final JdbcClient jdbc;
    // Its own mapper: the stored points are this class's records, whatever the web layer's settings.
    private final JsonMapper json = JsonMapper.builder().build();
    private final ModelVersionRegistry modelVersions;
    private final ObjectProvider<CalibrationProvider> calibrations;

    OperatingPoints(JdbcClient jdbc, ModelVersionRegistry modelVersions,
                    ObjectProvider<CalibrationProvider> calibrations) {
        this.calibrations = calibrations;
        this.jdbc = jdbc;
        this.modelVersions = modelVersions;
    }

    /**
     * Stores the configuration as the model version's next version, active when asked (or when it is the model
     * version's first).
     */
    @Transactional
    public OperatingPointConfiguration create(String modelId, String modelVersion, NewConfiguration c, boolean activate) {
        long versionId = modelVersions.find(modelId, modelVersion)
                .orElseThrow(() -> ApiProblem.notFound("Model", modelId + " " + modelVersion)).id();
        // One writer per model version at a time, so two derivations cannot take the same number.
        jdbc.sql("SELECT id FROM model_version WHERE id = :id FOR UPDATE").param("id", versionId).query(Long.class).single();
        int next = jdbc.sql("SELECT COALESCE(MAX(version), 0) + 1 FROM operating_point_configuration WHERE model_version_id = :v")
                .param("v", versionId).query(Integer.class).single();
        UUID id = UUID.randomUUID();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        boolean active = activate || next == 1;
        if (active) {
            jdbc.sql("UPDATE operating_point_configuration SET active = false WHERE model_version_id = :v AND active")
                    .param("v", versionId).update();
        }
        jdbc.sql("""
                        INSERT INTO operating_point_configuration (id, model_version_id, version, source, score_source, points,
                            target_sensitivity, cohort, labelled, bootstrap, seed, created_at, active, activated_at)
                        VALUES (:id, :v, :version, :source, :scoreSource, CAST(:points AS jsonb), :target,
                            CAST(:cohort AS jsonb), :labelled, :bootstrap, :seed, :now, :active, :activatedAt)""")
                .param("id", id).param("v", versionId).param("version", next).param("source", c.source())
                .param("scoreSource", c.storedScoreSource()).param("points", json.writeValueAsString(c.points()))
                .param("target", c.targetSensitivity())
                .param("cohort", c.cohort() == null ? null : json.writeValueAsString(c.cohort()))
                .param("labelled", c.labelled()).param("bootstrap", c.bootstrap()).param("seed", c.seed())
                .param("now", Timestamp.from(now)).param("active", active)
                .param("activatedAt", active ? Timestamp.from(now) : null)
                .update();
        return find(id).orElseThrow();
    }

    /**
     * The package's operating points become the model version's configuration 1 (active), once: when the version
     * already has configurations, nothing happens.
     */
    @Transactional
    public void seedFromPackage(String modelId, String modelVersion, List<OperatingPoint> points) {
        if (points == null || points.isEmpty()) {
            return;
        }
        long versionId = modelVersions.find(modelId, modelVersion).orElseThrow().id();
        jdbc.sql("SELECT id FROM model_version WHERE id = :id FOR UPDATE").param("id", versionId).query(Long.class).single();
        boolean any = jdbc.sql("SELECT EXISTS (SELECT 1 FROM operating_point_configuration WHERE model_version_id = :v)")
                .param("v", versionId).query(Boolean.class).single();
        if (!any) {
            create(modelId, modelVersion, new NewConfiguration("package", ScoreSource.PROBABILITIES, points, null, null,
                    null, null, null, null), true);
        }
    }

    /** Makes the configuration the active one of its model version (and no other), or deactivates it. */
    @Transactional
    public OperatingPointConfiguration activate(UUID id, boolean active) {
        OperatingPointConfiguration c = find(id).orElseThrow(() -> ApiProblem.notFound("Operating point configuration", id.toString()));
        long versionId = modelVersions.find(c.modelId(), c.modelVersion()).orElseThrow().id();
        jdbc.sql("SELECT id FROM model_version WHERE id = :id FOR UPDATE").param("id", versionId).query(Long.class).single();
        if (active) {
            jdbc.sql("UPDATE operating_point_configuration SET active = false WHERE model_version_id = :v AND active AND id <> :id")
                    .param("v", versionId).param("id", id).update();
        }
        jdbc.sql("""
                        UPDATE operating_point_configuration SET active = :active,
                            activated_at = CASE WHEN :active AND NOT active THEN now() ELSE activated_at END
                        WHERE id = :id""")
                .param("active", active).param("id", id).update();
        return find(id).orElseThrow();
    }

    @Transactional(readOnly = true)
    public Optional<OperatingPointConfiguration> find(UUID id) {
        return jdbc.sql(SELECT + " WHERE c.id = :id").param("id", id).query(this::row).optional();
    }

    /** The configurations of a model (of one version when given), newest first. */
    @Transactional(readOnly = true)
    public List<OperatingPointConfiguration> list(String modelId, String modelVersion) {
        return jdbc.sql(SELECT + " WHERE m.model_id = :modelId AND (CAST(:version AS text) IS NULL OR m.version = :version)"
                        + " ORDER BY m.id DESC, c.version DESC")
                .param("modelId", modelId).param("version", modelVersion).query(this::row).list();
    }

    /** The flags of a new prediction at the model version's active configuration; empty when none is active. */
    Optional<Flags> flagsFor(long modelVersionId, double[] probabilities) {
        return activeConfiguration(modelVersionId)
                .flatMap(active -> flags(active.version(), active.scoreSource(), active.points(), probabilities));
    }

    /** The model version's active configuration, read once per transaction (a batch of predictions shares it). */
    private Optional<ActiveConfiguration> activeConfiguration(long modelVersionId) {
        return TransactionMemo.get(new ActiveConfigurationOf(modelVersionId), () -> jdbc.sql("""
                        SELECT version, score_source, points::text FROM operating_point_configuration
                        WHERE model_version_id = :v AND active""")
                .param("v", modelVersionId)
                .query((rs, n) -> new ActiveConfiguration(rs.getInt("version"), rs.getString("score_source"),
                        json.readValue(rs.getString("points"), POINTS)))
                .optional());
    }

    private record ActiveConfigurationOf(long modelVersionId) {
    }

    private record ActiveConfiguration(int version, String scoreSource, List<OperatingPoint> points) {
    }

    /**
     * Points derived on calibrated probabilities are applied to the probabilities mapped through the same
     * calibration, active or not; without that calibration (none can be deleted today) no flags are given.
     */
    private Optional<Flags> flags(int version, String storedSource, List<OperatingPoint> points,
                                  double[] probabilities) {
        Optional<UUID> calibration = ScoreSource.calibrationOf(storedSource);
        if (calibration.isEmpty()) {
            return Optional.of(flags(version, ScoreSource.ofId(storedSource), points, probabilities));
        }
        CalibrationProvider provider = calibrations.getIfAvailable();
        return provider == null ? Optional.empty() : provider.calibrateWith(calibration.get(), probabilities)
                .map(c -> flags(version, ScoreSource.PROBABILITIES, points, c.probabilities()));
    }

    /** The findings whose score reaches their threshold, in the configuration's order. */
    static Flags flags(int version, ScoreSource source, List<OperatingPoint> points, double[] probabilities) {
        List<String> positive = new ArrayList<>();
        for (OperatingPoint p : points) {
            if (source.score(p.findingClass(), probabilities) >= p.threshold()) {
                positive.add(p.finding());
            }
        }
        return new Flags(version, List.copyOf(positive));
    }

    private static final String SELECT = """
            SELECT c.id, m.model_id, m.version AS model_version, c.version, c.source, c.score_source, c.active,
                c.created_at, c.activated_at, c.target_sensitivity, c.cohort::text AS cohort, c.labelled, c.bootstrap,
                c.seed, c.points::text AS points
            FROM operating_point_configuration c JOIN model_version m ON m.id = c.model_version_id""";

    private OperatingPointConfiguration row(ResultSet rs, int n) throws SQLException {
        Timestamp activated = rs.getTimestamp("activated_at");
        String cohort = rs.getString("cohort");
        return new OperatingPointConfiguration(rs.getObject("id", UUID.class), rs.getString("model_id"),
                rs.getString("model_version"), rs.getInt("version"), rs.getString("source"),
                rs.getString("score_source"), rs.getBoolean("active"), rs.getTimestamp("created_at").toInstant(),
                activated == null ? null : activated.toInstant(), (Double) rs.getObject("target_sensitivity"),
                cohort == null ? null : json.readValue(cohort, JsonNode.class), (Integer) rs.getObject("labelled"),
                (Integer) rs.getObject("bootstrap"), (Long) rs.getObject("seed"),
                json.readValue(rs.getString("points"), POINTS));
    }
}
