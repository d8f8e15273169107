package org.chestlens.evaluation;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.KeysetCursor;
import org.chestlens.platform.TransactionMemo;
import org.chestlens.platform.WhereClause;
import org.chestlens.platform.security.CurrentCaller;
import org.chestlens.prediction.CalibratedScores;
import org.chestlens.prediction.CalibrationProvider;
import org.chestlens.prediction.ModelVersionRegistry;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fits, stores and activates calibrations, and maps predictions' raw probabilities through the
 * active calibration of their model version.
 */
@Service
class CalibrationService implements CalibrationProvider {

    private static final String SELECT = """
            SELECT c.id, m.model_id, m.version AS model_version, c.version, c.method, c.cohort::text AS cohort,
                   c.parameters::text AS parameters, c.result::text AS result, c.created_by, c.created_at, c.active
            FROM calibration c JOIN model_version m ON m.id = c.model_version_id
            """;

    private final JdbcClient jdbc;
    private final CohortQuery cohorts;
    private final ModelVersionRegistry modelVersions;
    private final CalibrationProperties properties;
    private final JsonMapper json;
    /** Stored calibrations never change, so their parameters are cached by id. */
    private final Map<UUID, Calibrator.Parameters> parameters = new ConcurrentHashMap<>();
    private final Map<UUID, Active> byId = new ConcurrentHashMap<>();

    CalibrationService(JdbcClient jdbc, CohortQuery cohorts, ModelVersionRegistry modelVersions,
                       CalibrationProperties properties, JsonMapper json) {
        this.jdbc = jdbc;
        this.cohorts = cohorts;
        this.modelVersions = modelVersions;
        this.properties = properties;
        this.json = json;
    }

    @Transactional
    public CalibrationView fit(CalibrationRequest request) {
        Cohort cohort = cohorts.resolve(request.cohort());
        List<CohortQuery.Labelled> labelled = cohorts.labelled(cohort);
        if (labelled.size() < properties.minLabelledCases()) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "too-few-labelled-cases",
                    "Too few labelled cases to calibrate",
                    "Only " + labelled.size() + " prediction(s) of " + cohort.modelId() + " " + cohort.modelVersion()
                            + " in this cohort have a reference label; a calibration needs at least "
                            + properties.minLabelledCases() + ".",
                    Map.of("labelledCases", labelled.size(), "minLabelledCases", properties.minLabelledCases()), null);
        }
        long versionId = modelVersions.idOf(cohort.modelId(), cohort.modelVersion()).orElseThrow();
        Calibrator.Method method = request.method() != null ? Calibrator.Method.of(request.method())
                : Calibrator.Method.forFormulation(modelVersions.outputFormulation(versionId));
        double[][] raw = labelled.stream().map(l -> l.modelCase().probabilities()).toArray(double[][]::new);
        int[] truth = labelled.stream().mapToInt(l -> l.modelCase().truth()).toArray();
        int folds = request.foldsOrDefault();
        int resamples = request.bootstrapOrDefault();
        long seed = request.seedOrDefault();

        Calibrator.Parameters fitted = Calibrator.fit(method, raw, truth);
        double[][] crossFitted = Calibrator.crossFitted(method, raw, truth, folds, seed);
        int changed = 0;
        for (int i = 0; i < raw.length; i++) {
            changed += CalibrationQuality.argmax(raw[i]) == CalibrationQuality.argmax(crossFitted[i]) ? 0 : 1;
        }
        CalibrationView.Result result = new CalibrationView.Result(raw.length, folds, seed, resamples,
                CalibrationQuality.of(raw, truth, resamples, seed),
                CalibrationQuality.of(crossFitted, truth, resamples, seed), changed);

        // Serialises fits of one model version so that their numbers are 1, 2, 3... without gaps or clashes.
        jdbc.sql("SELECT id FROM model_version WHERE id = :id FOR UPDATE").param("id", versionId).query(Long.class)
                .single();
        int number = jdbc.sql("SELECT COALESCE(MAX(version), 0) + 1 FROM calibration WHERE model_version_id = :v")
                .param("v", versionId).query(Integer.class).single();
        UUID id = UUID.randomUUID();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        jdbc.sql("""
                        INSERT INTO calibration (id, model_version_id, version, method, cohort, parameters, result,
                                                 created_by, created_at)
                        VALUES (:id, :versionId, :number, :method, CAST(:cohort AS jsonb), CAST(:parameters AS jsonb),
                                CAST(:result AS jsonb), :createdBy, :now)""")
                .param("id", id).param("versionId", versionId).param("number", number).param("method", method.id())
                .param("cohort", json.writeValueAsString(cohort))
                .param("parameters", json.writeValueAsString(fitted))
                .param("result", json.writeValueAsString(result))
                .param("createdBy", CurrentCaller.scope())
                .param("now", Timestamp.from(now))
                .update();
        return find(id).orElseThrow();
    }

    @Transactional(readOnly = true)
    public Optional<CalibrationView> find(UUID id) {
        return jdbc.sql(SELECT + "WHERE c.id = :id").param("id", id).query(this::view).optional();
    }

    /** Newest first, one page after the cursor (null: the first page). */
    @Transactional(readOnly = true)
    public CalibrationPage list(String modelId, int limit, String cursor) {
        WhereClause where = WhereClause.all()
                .and("c.model_version_id = ANY(:versionIds)", "versionIds",
                        modelId == null ? null : modelVersions.idsOf(modelId).toArray(Long[]::new))
                .after("(c.created_at, c.id) <", KeysetCursor.decode(cursor));
        List<CalibrationView> rows = jdbc.sql(SELECT + "%s ORDER BY c.created_at DESC, c.id DESC LIMIT :limit"
                        .formatted(where))
                .params(where.params()).param("limit", limit + 1)
                .query(this::view).list();
        KeysetCursor.Slice<CalibrationView> page = KeysetCursor.slice(rows, limit,
                row -> new KeysetCursor(row.createdAt(), row.id()));
        return new CalibrationPage(page.items(), page.nextCursor());
    }

    /** Makes the calibration the active one of its model version (and no other), or stops using it. */
    @Transactional
    public CalibrationView activate(UUID id, boolean active) {
        ActiveRuns.set(jdbc, "calibration", "Calibration", id, active);
        return find(id).orElseThrow();
    }

    @Override
    public Optional<CalibratedScores> calibrate(long modelVersionId, double[] probabilities) {
        return active(modelVersionId).map(a -> new CalibratedScores(a.id(), a.method(),
                a.parameters().apply(probabilities)));
    }

    @Override
    public Optional<CalibratedScores> calibrateWith(UUID calibrationId, double[] probabilities) {
        return stored(calibrationId).map(a -> new CalibratedScores(a.id(), a.method(),
                a.parameters().apply(probabilities)));
    }

    /**
     * A calibration by id, active or not. Stored calibrations never change, so each is read once: operating
     * points derived on calibrated scores ask for theirs with every prediction stored.
     */
    private Optional<Active> stored(UUID calibrationId) {
        Active known = byId.get(calibrationId);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<Active> read = jdbc.sql("SELECT method, parameters::text AS parameters FROM calibration WHERE id = :id")
                .param("id", calibrationId)
                .query((rs, n) -> new Active(calibrationId, rs.getString("method"),
                        parameters(calibrationId, rs.getString("parameters"))))
                .optional();
        read.ifPresent(a -> byId.put(calibrationId, a));
        return read;
    }

    /** The active calibration of a cohort's model version, if any. */
    Optional<Active> active(Cohort cohort) {
        return modelVersions.idOf(cohort.modelId(), cohort.modelVersion()).flatMap(this::active);
    }

    /** The active calibration of a model version, if any. */
    Optional<Active> active(long modelVersionId) {
        // once per transaction: the result writer's batch and an answer's predictions share it
        return TransactionMemo.get(new ActiveOf(modelVersionId), () -> jdbc.sql(
                        "SELECT id, method, parameters::text AS parameters FROM calibration "
                        + "WHERE model_version_id = :version AND active")
                .param("version", modelVersionId)
                .query((rs, n) -> new Active(rs.getObject("id", UUID.class), rs.getString("method"),
                        parameters(rs.getObject("id", UUID.class), rs.getString("parameters"))))
                .optional());
    }

    private record ActiveOf(long modelVersionId) {
    }

    record Active(UUID id, String method, Calibrator.Parameters parameters) {
    }

    private Calibrator.Parameters parameters(UUID id, String stored) {
        return parameters.computeIfAbsent(id, key -> json.readValue(stored, Calibrator.Parameters.class));
    }

    private CalibrationView view(ResultSet rs, int row) throws SQLException {
        UUID id = rs.getObject("id", UUID.class);
        CalibrationView.Result r = json.readValue(rs.getString("result"), CalibrationView.Result.class);
        return new CalibrationView(id, rs.getString("model_id"), rs.getString("model_version"), rs.getInt("version"),
                rs.getString("method"), parameters(id, rs.getString("parameters")),
                json.readValue(rs.getString("cohort"), Cohort.class), rs.getString("created_by"),
                rs.getTimestamp("created_at").toInstant(), rs.getBoolean("active"), r.labelledCases(), r.folds(),
                r.seed(), r.bootstrapResamples(), r.before(), r.after(), r.predictedClassChanges());
    }
}
