package org.chestlens.evaluation;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Random;
import java.util.UUID;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.postgresql.ds.PGSimpleDataSource;
import org.chestlens.prediction.PredictionReads;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The evaluation as the service runs it for GET /api/v1/evaluations: 10 000 stored predictions
 * with reference labels and two readers, read from PostgreSQL by the cohort query, then all metrics
 * with 1000 bootstrap resamples, reader metrics and kappas. Uses its own database (bench/run.sh
 * makes a fresh one), migrated by Flyway; the goal is under 2 s.
 */
public final class EvaluationDatabaseBench {

    public static void main(String[] args) throws Exception {
        int n = Integer.getInteger("bench.cases", 10_000);
        PGSimpleDataSource ds = freshDatabase();
        seed(ds, n);
        JdbcClient jdbc = JdbcClient.create(ds);
        CohortQuery cohorts = new CohortQuery(PredictionReads.modelVersions(jdbc), PredictionReads.scoredImages(jdbc),
                new LabelStore(jdbc));
        // No calibration is active in the bench database: the report is the raw one, as before calibration existed.
        EvaluationService evaluations = new EvaluationService(jdbc, cohorts, new CalibrationService(jdbc, cohorts,
                PredictionReads.modelVersions(jdbc), new CalibrationProperties(100),
                tools.jackson.databind.json.JsonMapper.builder().build()));
        Cohort cohort = new Cohort("bench-model", null, null, null, null, null, null, null, null, null);
        for (int warmUp = 0; warmUp < 3; warmUp++) {
            evaluations.evaluate(cohort, 1000, warmUp);
        }
        int rounds = 5;
        long total = 0;
        int labelled = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            labelled = evaluations.evaluate(cohort, 1000, r).labelledPredictions();
            total += System.nanoTime() - t0;
        }
        double seconds = total / 1e9 / rounds;
        System.out.printf("GET /evaluations work for %d stored predictions (2 readers, 1000 bootstrap resamples, "
                + "PostgreSQL query included): %.3f s = %.2f of the 2 s goal (mean of %d runs)%n",
                labelled, seconds, seconds / 2.0, rounds);
    }

    /** The bench database (TEST_DATABASE_URL, else chestlens_bench), cleaned and migrated by Flyway. */
    public static PGSimpleDataSource freshDatabase() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(System.getenv().getOrDefault("TEST_DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/chestlens_bench"));
        ds.setUser(System.getenv().getOrDefault("TEST_DATABASE_USER", "postgres"));
        ds.setPassword(System.getenv().getOrDefault("TEST_DATABASE_PASSWORD", ""));
        Flyway flyway = Flyway.configure().dataSource(ds).locations("classpath:db/migration").cleanDisabled(false).load();
        flyway.clean();
        flyway.migrate();
        return ds;
    }

    /**
     * n images of model version 1 ('bench-model'), each with one prediction (right 92 % of the time, 65 % for
     * the 15 % of AP films) and a reference label and two readers' labels.
     */
    public static void seed(DataSource ds, int n) throws Exception {
        Random random = new Random(20210714);
        Timestamp now = Timestamp.from(Instant.now());
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO model_version (model_id, version, trained, output_formulation, fold_checksums) "
                        + "VALUES ('bench-model', '1', true, 'softmax4', '{}')");
            }
            try (PreparedStatement image = c.prepareStatement("INSERT INTO image (id, sha256, format, size_bytes, width, "
                    + "height, bit_depth, colour_type, received_at, view_position, distance_source_to_detector) "
                    + "VALUES (?, ?, 'DICOM', 1, 2000, 2500, 12, 'GREY', ?, ?, ?)");
                 PreparedStatement prediction = c.prepareStatement("INSERT INTO prediction (id, image_id, model_version_id, "
                         + "predicted_class, p_cvx0, p_cvx1, p_cvx2, p_cvx3, score_cvx03vs12, score_cvx0vs3, score_cvx1vs2, "
                         + "confidence, fold_spread, decode_ms, wait_ms, inference_ms, created_at) "
                         + "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{0.01,0.02,0.01,0.01}', 1, 1, 1, ?)");
                 PreparedStatement label = c.prepareStatement(
                         "INSERT INTO image_label (image_id, reader_id, label, labelled_at) VALUES (?, ?, ?, ?)")) {
                for (int i = 0; i < n; i++) {
                    UUID id = UUID.randomUUID();
                    boolean icu = random.nextDouble() < 0.15;
                    int truth = random.nextInt(4);
                    double[] p = {0.1, 0.1, 0.1, 0.1};
                    int predicted = random.nextDouble() < (icu ? 0.65 : 0.92) ? truth : random.nextInt(4);
                    p[predicted] += 0.6;
                    image.setObject(1, id);
                    image.setString(2, String.format("%064x", i));
                    image.setTimestamp(3, now);
                    image.setString(4, icu ? "AP" : "PA");
                    image.setDouble(5, icu ? 1000 : 1800);
                    image.addBatch();
                    prediction.setObject(1, UUID.randomUUID());
                    prediction.setObject(2, id);
                    prediction.setShort(3, (short) predicted);
                    for (int k = 0; k < 4; k++) {
                        prediction.setDouble(4 + k, p[k]);
                    }
                    prediction.setDouble(8, p[1] + p[2]);
                    prediction.setDouble(9, p[3] / (p[0] + p[3]));
                    prediction.setDouble(10, p[2] / (p[1] + p[2]));
                    prediction.setDouble(11, p[predicted]);
                    prediction.setTimestamp(12, now);
                    prediction.addBatch();
                    String[] readers = {"", "reader-a", "reader-b"};
                    double[] accuracy = {1.0, 0.88, 0.78};
                    for (int r = 0; r < readers.length; r++) {
                        label.setObject(1, id);
                        label.setString(2, readers[r]);
                        label.setShort(3, (short) (random.nextDouble() < accuracy[r] ? truth : random.nextInt(4)));
                        label.setTimestamp(4, now);
                        label.addBatch();
                    }
                    if (i % 1000 == 999) {
                        image.executeBatch();
                        prediction.executeBatch();
                        label.executeBatch();
                    }
                }
                image.executeBatch();
                prediction.executeBatch();
                label.executeBatch();
            }
            c.commit();
        }
    }
}
