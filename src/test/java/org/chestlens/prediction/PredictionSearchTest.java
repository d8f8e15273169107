package org.chestlens.prediction;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

import org.chestlens.PostgresTestConfiguration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.data.jpa.test.autoconfigure.DataJpaTest;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.ActiveProfiles;

/**
 * Searching predictions: each filter alone and keyset paging, against real PostgreSQL with the
 * JPA entities (no web layer, no model). Every search names this test's own model, so rows other
 * tests left in the database are not counted; each test's rows are rolled back.
 */
@DataJpaTest
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
@ActiveProfiles("test")
@Import({PostgresTestConfiguration.class, PredictionStore.class, ModelVersionRegistry.class})
class PredictionSearchTest {

    @Autowired
    PredictionStore store;
    @Autowired
    ModelVersionRegistry modelVersions;
    @Autowired
    JdbcClient jdbc;

    final String modelId = "search-test-" + UUID.randomUUID();
    final Instant t0 = Instant.parse("2031-01-01T00:00:00Z");
    long versionId;

    @BeforeEach
    void registerTheModel() {
        versionId = modelVersions.register(new ModelVersionRegistry.ModelVersionSpec(modelId, "1", true, "softmax4",
                List.of("0".repeat(64)), null));
    }

    @Test
    void byPredictedClass() {
        UUID cvx1 = store(ChestClass.CVX1, new double[] {0.1, 0.7, 0.1, 0.1}, t0);
        store(ChestClass.CVX2, new double[] {0.1, 0.1, 0.7, 0.1}, t0.plusSeconds(1));

        assertThat(ids(query(ChestClass.CVX1, null, null, null, null, null, modelId, 10, null))).containsExactly(cvx1);
    }

    @Test
    void byTheConfidenceOrOneClassesProbability() {
        UUID sure = store(ChestClass.CVX0, new double[] {0.9, 0.05, 0.03, 0.02}, t0);
        UUID unsure = store(ChestClass.CVX0, new double[] {0.4, 0.3, 0.2, 0.1}, t0.plusSeconds(1));

        assertThat(ids(query(null, null, 0.5, null, null, null, modelId, 10, null))).containsExactly(sure);
        assertThat(ids(query(null, null, null, 0.5, null, null, modelId, 10, null))).containsExactly(unsure);
        assertThat(ids(query(null, ChestClass.CVX1, 0.25, 0.35, null, null, modelId, 10, null)))
                .containsExactly(unsure);
        assertThat(ids(query(null, ChestClass.CVX3, 0.02, 0.02, null, null, modelId, 10, null)))
                .as("both bounds inclusive").containsExactly(sure);
    }

    @Test
    void byCreationTimeFromInclusiveToExclusive() {
        store(ChestClass.CVX0, new double[] {1, 0, 0, 0}, t0);
        UUID middle = store(ChestClass.CVX0, new double[] {1, 0, 0, 0}, t0.plusSeconds(60));
        store(ChestClass.CVX0, new double[] {1, 0, 0, 0}, t0.plusSeconds(120));

        assertThat(ids(query(null, null, null, null, t0.plusSeconds(60), t0.plusSeconds(120), modelId, 10, null)))
                .containsExactly(middle);
    }

    @Test
    void byModelAndNoneForAnUnknownModel() {
        UUID ours = store(ChestClass.CVX0, new double[] {1, 0, 0, 0}, t0);

        assertThat(ids(query(null, null, null, null, null, null, modelId, 10, null))).containsExactly(ours);
        assertThat(ids(query(null, null, null, null, null, null, "no-such-model-" + UUID.randomUUID(), 10, null)))
                .isEmpty();
    }

    @Test
    void byTheJobsPriorityWhichEachPredictionCarries() {
        UUID stat = store(ChestClass.CVX0, new double[] {1, 0, 0, 0}, t0);
        UUID routine = store(ChestClass.CVX0, new double[] {1, 0, 0, 0}, t0.plusSeconds(1));
        UUID withoutJob = store(ChestClass.CVX0, new double[] {1, 0, 0, 0}, t0.plusSeconds(2));
        job(stat, "STAT");
        job(routine, "ROUTINE");

        PredictionPage stats = store.search(new PredictionQuery(null, null, null, null, null, null, modelId, null, null,
                null, Priority.STAT, 10, null));
        assertThat(ids(stats)).containsExactly(stat);
        assertThat(stats.items().get(0).priority()).isEqualTo("stat");
        PredictionPage routines = store.search(new PredictionQuery(null, null, null, null, null, null, modelId, null,
                null, ChestClass.CVX0, Priority.ROUTINE, 10, null));
        assertThat(ids(routines)).as("also ordered by a probability").containsExactly(routine);
        assertThat(store.search(query(null, null, null, null, null, null, modelId, 10, null)).items())
                .extracting(PredictionView::priority).containsExactly(null, "routine", "stat");
        assertThat(store.prediction(stat).orElseThrow().priority()).isEqualTo("stat");
        assertThat(store.prediction(withoutJob).orElseThrow().priority()).isNull();
    }

    @Test
    void pagesNewestFirstWithTiesBrokenByIdAndNoCursorAfterTheLast() {
        List<UUID> stored = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            stored.add(store(ChestClass.CVX0, new double[] {1, 0, 0, 0}, t0.plusSeconds(i)));
        }
        stored.add(store(ChestClass.CVX0, new double[] {1, 0, 0, 0}, t0.plusSeconds(2)));
        stored.add(store(ChestClass.CVX0, new double[] {1, 0, 0, 0}, t0.plusSeconds(2)));
        List<UUID> newestFirst = new ArrayList<>(stored.subList(2, 5));
        // PostgreSQL orders uuids by their bytes, as their text sorts (Java's compareTo uses signed longs)
        newestFirst.sort(Comparator.comparing(UUID::toString).reversed());
        newestFirst.addAll(List.of(stored.get(1), stored.get(0)));

        List<UUID> seen = new ArrayList<>();
        String cursor = null;
        List<Integer> pageSizes = new ArrayList<>();
        do {
            PredictionPage page = store.search(query(null, null, null, null, null, null, modelId, 2, cursor));
            pageSizes.add(page.items().size());
            seen.addAll(ids(page));
            cursor = page.nextCursor();
        } while (cursor != null);

        assertThat(pageSizes).containsExactly(2, 2, 1);
        assertThat(seen).containsExactlyElementsOf(newestFirst);
    }

    private PredictionQuery query(ChestClass predictedClass, ChestClass probabilityOf, Double min, Double max,
                                  Instant from, Instant to, String model, int limit, String cursor) {
        return new PredictionQuery(predictedClass, probabilityOf, min, max, from, to, model, null, null, null, null,
                limit, cursor);
    }

    /** The job that scored the prediction, at the given priority. */
    private void job(UUID predictionId, String priority) {
        jdbc.sql("""
                        INSERT INTO inference_job (id, image_id, model_version_id, status, input_height, input_width,
                            decode_ms, lease_until, created_at, finished_at, priority)
                        SELECT :id, image_id, model_version_id, 'DONE', 224, 224, 1, now(), now(), now(), :priority
                        FROM prediction WHERE id = :prediction""")
                .param("id", UUID.randomUUID()).param("prediction", predictionId).param("priority", priority).update();
    }

    private List<UUID> ids(PredictionQuery query) {
        return ids(store.search(query));
    }

    private static List<UUID> ids(PredictionPage page) {
        return page.items().stream().map(PredictionView::id).toList();
    }

    private UUID store(ChestClass predicted, double[] p, Instant createdAt) {
        UUID imageId = UUID.randomUUID();
        jdbc.sql("""
                        INSERT INTO image (id, sha256, format, size_bytes, width, height, bit_depth, colour_type, received_at)
                        VALUES (:id, :sha, 'PNG', 100, 300, 300, 8, 'GREY', now())""")
                .param("id", imageId).param("sha", ImageWriterTest.sha()).update();
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                        INSERT INTO prediction (id, image_id, model_version_id, predicted_class, p_cvx0, p_cvx1, p_cvx2,
                            p_cvx3, score_cvx03vs12, confidence, fold_spread, decode_ms, wait_ms, inference_ms, created_at)
                        VALUES (:id, :imageId, :version, :cls, :p0, :p1, :p2, :p3, 0.5, :confidence, '{0,0,0,0}', 1, 1, 1,
                            :createdAt)""")
                .param("id", id).param("imageId", imageId).param("version", versionId)
                .param("cls", (short) predicted.index()).param("p0", p[0]).param("p1", p[1]).param("p2", p[2])
                .param("p3", p[3]).param("confidence", p[predicted.index()])
                .param("createdAt", Timestamp.from(createdAt.truncatedTo(ChronoUnit.MICROS)))
                .update();
        return id;
    }
}
