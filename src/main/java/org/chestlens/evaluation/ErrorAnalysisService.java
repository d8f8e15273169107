package org.chestlens.evaluation;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.KeysetCursor;
import org.chestlens.platform.TransactionMemo;
import org.chestlens.platform.WhereClause;
import org.chestlens.prediction.ModelVersionRegistry;
import org.chestlens.prediction.Reliability;
import org.chestlens.prediction.ReliabilityProvider;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fits, stores and activates error-analysis runs, and gives predictions their reliability from the
 * active run of their model version.
 */
@Service
class ErrorAnalysisService implements ReliabilityProvider {

    /** "Clearly above the overall rate": at least this factor and this many percentage points above it. */
    static final double FLAG_FACTOR = 1.5;
    static final double FLAG_MARGIN = 0.10;

    private final JdbcClient jdbc;
    private final CohortQuery cohorts;
    private final ModelVersionRegistry modelVersions;
    private final JsonMapper json;
    /** Stored runs never change, so their trees are cached by id. */
    private final Map<UUID, Stored> trees = new ConcurrentHashMap<>();

    ErrorAnalysisService(JdbcClient jdbc, CohortQuery cohorts, ModelVersionRegistry modelVersions, JsonMapper json) {
        this.jdbc = jdbc;
        this.cohorts = cohorts;
        this.modelVersions = modelVersions;
        this.json = json;
    }

    /** What is stored as the run's result. */
    record Stored(ErrorTree.Tree tree, ErrorHeatMap.HeatMap heatMap) {
    }

    @Transactional
    public ErrorAnalysisView run(ErrorAnalysisRequest request) {
        List<Features> features = known(request.features());
        List<Features> heatMap = request.heatMap() == null ? List.of() : known(request.heatMap());
        Cohort cohort = cohorts.resolve(request.cohort());
        List<CohortQuery.Labelled> labelled = cohorts.labelled(cohort);
        if (labelled.isEmpty()) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "empty-cohort", "Nothing to analyse",
                    "No prediction of " + cohort.modelId() + " " + cohort.modelVersion()
                            + " in this cohort has a reference label.");
        }
        List<ErrorTree.Row> rows = new ArrayList<>(labelled.size());
        List<ErrorTree.Row> heatRows = new ArrayList<>(labelled.size());
        for (CohortQuery.Labelled l : labelled) {
            boolean wrong = l.modelCase().predicted() != l.modelCase().truth();
            rows.add(new ErrorTree.Row(select(l.features(), features), wrong));
            heatRows.add(new ErrorTree.Row(select(l.features(), heatMap), wrong));
        }
        ErrorTree.Tree tree = ErrorTree.fit(features.stream().map(Features::asTreeFeature).toList(), rows,
                request.parameters());
        ErrorHeatMap.HeatMap map = heatMap.isEmpty() ? null : ErrorHeatMap.of(
                heatMap.stream().map(Features::asTreeFeature).toList(), heatRows, 0, heatMap.size() > 1 ? 1 : -1);
        UUID id = UUID.randomUUID();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        long versionId = labelled.get(0).modelVersionId();
        jdbc.sql("""
                        INSERT INTO error_analysis (id, model_version_id, cohort, parameters, result, created_at)
                        VALUES (:id, :version, CAST(:cohort AS jsonb), CAST(:parameters AS jsonb),
                                CAST(:result AS jsonb), :now)""")
                .param("id", id).param("version", versionId)
                .param("cohort", json.writeValueAsString(cohort))
                .param("parameters", json.writeValueAsString(request))
                .param("result", json.writeValueAsString(new Stored(tree, map)))
                .param("now", Timestamp.from(now))
                .update();
        return view(id, cohort, false, now, new Stored(tree, map));
    }

    @Transactional(readOnly = true)
    public Optional<ErrorAnalysisView> find(UUID id) {
        return jdbc.sql("SELECT id, cohort::text, active, created_at, result::text FROM error_analysis WHERE id = :id")
                .param("id", id).query((rs, n) -> view(rs.getObject("id", UUID.class),
                        json.readValue(rs.getString("cohort"), Cohort.class), rs.getBoolean("active"),
                        rs.getTimestamp("created_at").toInstant(), stored(rs.getObject("id", UUID.class),
                                rs.getString("result")))).optional();
    }

    /** Newest first, one page after the cursor (null: the first page). */
    @Transactional(readOnly = true)
    public ErrorAnalysisPage list(String modelId, int limit, String cursor) {
        WhereClause where = WhereClause.all()
                .and("model_version_id = ANY(:versionIds)", "versionIds",
                        modelId == null ? null : modelVersions.idsOf(modelId).toArray(Long[]::new))
                .after("(created_at, id) <", KeysetCursor.decode(cursor));
        List<KeysetCursor> rows = jdbc.sql("SELECT id, created_at FROM error_analysis %s ORDER BY created_at DESC, id DESC LIMIT :limit"
                        .formatted(where))
                .params(where.params()).param("limit", limit + 1)
                .query((rs, n) -> new KeysetCursor(rs.getTimestamp("created_at").toInstant(), rs.getObject("id", UUID.class)))
                .list();
        KeysetCursor.Slice<KeysetCursor> page = KeysetCursor.slice(rows, limit, row -> row);
        return new ErrorAnalysisPage(page.items().stream().map(row -> find(row.id())).flatMap(Optional::stream).toList(),
                page.nextCursor());
    }

    /** Makes the run the active one of its model version (and no other). */
    @Transactional
    public ErrorAnalysisView activate(UUID id, boolean active) {
        ActiveRuns.set(jdbc, "error_analysis", "Error analysis", id, active);
        return find(id).orElseThrow();
    }

    @Override
    public Optional<Reliability> reliabilityOf(UUID predictionId, long modelVersionId) {
        Optional<Map<String, Object>> active = TransactionMemo.get(new ActiveOf(modelVersionId), () -> jdbc.sql(
                        "SELECT id, result::text AS result FROM error_analysis WHERE model_version_id = :version AND active")
                .param("version", modelVersionId).query().listOfRows().stream().findFirst());
        if (active.isEmpty()) {
            return Optional.empty();
        }
        UUID runId = (UUID) active.get().get("id");
        Stored run = stored(runId, (String) active.get().get("result"));
        Optional<Object[]> all = cohorts.featuresOf(predictionId);
        if (all.isEmpty()) {
            return Optional.empty();
        }
        List<Features> features = run.tree().features().stream()
                .map(f -> Features.named(f.name()).orElseThrow()).toList();
        ErrorTree.Node leaf = run.tree().leafOf(select(all.get(), features));
        double overall = run.tree().overallErrorRate();
        boolean flagged = leaf.errorRate() >= FLAG_FACTOR * overall && leaf.errorRate() - overall >= FLAG_MARGIN;
        String summary = String.format(Locale.ROOT, "cases like this: %.0f%% wrong, n = %d", 100 * leaf.errorRate(),
                leaf.size());
        return Optional.of(new Reliability(runId, leaf.path(), leaf.errorRate(), leaf.size(), overall, flagged,
                summary));
    }

    /** The active run of a model version, read once per transaction (an answer's predictions share it). */
    private record ActiveOf(long modelVersionId) {
    }

    private Stored stored(UUID id, String result) {
        return trees.computeIfAbsent(id, key -> json.readValue(result, Stored.class));
    }

    private static ErrorAnalysisView view(UUID id, Cohort cohort, boolean active, Instant createdAt, Stored s) {
        ErrorTree.Tree t = s.tree();
        return new ErrorAnalysisView(id, cohort, t.features().stream().map(ErrorTree.Feature::name).toList(),
                t.parameters(), active, createdAt, t.size(), t.errors(), t.overallErrorRate(),
                t.nodes().stream().map(ErrorAnalysisView.NodeView::of).toList(), s.heatMap());
    }

    private static Object[] select(Object[] all, List<Features> features) {
        Object[] values = new Object[features.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = all[features.get(i).ordinal()];
        }
        return values;
    }

    private static List<Features> known(List<String> names) {
        List<String> unknown = names.stream().filter(n -> Features.named(n).isEmpty()).toList();
        if (!unknown.isEmpty()) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "unknown-feature", "Unknown feature",
                    "Unknown feature(s) " + unknown + "; known: " + Features.names() + ".",
                    Map.of("knownFeatures", Features.names()), null);
        }
        if (names.stream().distinct().count() != names.size()) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "duplicate-feature", "Duplicate feature",
                    "A feature is listed twice.");
        }
        return names.stream().map(n -> Features.named(n).orElseThrow()).toList();
    }
}
