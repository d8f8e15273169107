package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.prediction.PredictionView;
import org.springframework.http.HttpMethod;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The label-study cohort: the 467 held-out synthetic images of the demonstration model (synth_cxr.py --set eval)
 * with their reference labels and the ensemble probabilities the package's folds give them
 * ({@code src/test/resources/label-study/scores.csv}, written by models/training/label_study_scores.py), stored as
 * predictions of the demo model's newest version under an institution name of their own (new each time, so that
 * runs against the same database never mix), and labelled through the API.
 *
 * @param institution    the cohort's institution name: the evaluation and calibration filter that selects it
 * @param predictionIds  the stored predictions, in the file's order
 * @param storedClasses  their predicted classes
 * @param truths         their reference labels
 * @param probabilities  their stored (raw) ensemble probabilities, CVX0-CVX3
 */
public record LabelStudyCohort(String institution, List<UUID> predictionIds, List<Integer> storedClasses,
                               List<Integer> truths, List<double[]> probabilities) {

    public static final String MODEL = "chestlens-demo-densenet121";
    /** Fixture rows are "received" one second apart from here, long before anything another test uploads. */
    public static final Instant BASE = Instant.parse("2001-01-01T00:00:00Z");
    private static final Path SCORES = Path.of("src/test/resources/label-study/scores.csv");

    public static LabelStudyCohort load(JdbcClient jdbc, ApiClient api) throws IOException {
        LabelStudyCohort cohort = new LabelStudyCohort("label-study-" + UUID.randomUUID().toString().substring(0, 8),
                new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        long version = jdbc.sql("SELECT id FROM model_version WHERE model_id = :m ORDER BY id DESC LIMIT 1")
                .param("m", MODEL).query(Long.class).single();
        List<String> lines = Files.readAllLines(SCORES);
        List<String> header = List.of(lines.get(0).split(","));
        StringBuilder labels = new StringBuilder("{\"labels\": [");
        SecureRandom random = new SecureRandom();
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",", -1);
            Map<String, String> row = new HashMap<>();
            for (int c = 0; c < header.size(); c++) {
                row.put(header.get(c), f[c]);
            }
            double[] p = new double[4];
            double[] spread = new double[4];
            for (int k = 0; k < 4; k++) {
                p[k] = Double.parseDouble(row.get("p" + k));
                spread[k] = Double.parseDouble(row.get("spread" + k));
            }
            int predicted = CalibrationQuality.argmax(p);
            PredictionView.SubTaskScoresView scores = PredictionView.SubTaskScoresView.of(p);
            UUID image = UUID.randomUUID();
            UUID prediction = UUID.randomUUID();
            Timestamp at = Timestamp.from(BASE.plusSeconds(i));
            byte[] hash = new byte[32];
            random.nextBytes(hash);
            jdbc.sql("""
                            INSERT INTO image (id, sha256, format, size_bytes, width, height, bit_depth, colour_type,
                                               received_at, modality, view_position, patient_sex, manufacturer,
                                               manufacturer_model_name, institution_name)
                            VALUES (:id, :sha, 'DICOM', 1, :width, :height, 16, 'MONOCHROME2', :at, :modality, :view,
                                    :sex, :manufacturer, :model, :institution)""")
                    .param("id", image).param("sha", HexFormat.of().formatHex(hash))
                    .param("width", Integer.parseInt(row.get("columns"))).param("height", Integer.parseInt(row.get("rows")))
                    .param("at", at).param("modality", row.get("modality")).param("view", row.get("view"))
                    .param("sex", row.get("sex")).param("manufacturer", row.get("manufacturer"))
                    .param("model", row.get("model")).param("institution", cohort.institution())
                    .update();
            jdbc.sql("""
                            INSERT INTO prediction (id, image_id, model_version_id, predicted_class, p_cvx0, p_cvx1,
                                p_cvx2, p_cvx3, score_cvx03vs12, score_cvx0vs3, score_cvx1vs2, confidence, fold_spread,
                                decode_ms, wait_ms, inference_ms, created_at)
                            VALUES (:id, :image, :version, :predicted, :p0, :p1, :p2, :p3, :s1, :s2, :s3, :confidence,
                                    :spread, 0, 0, 0, :at)""")
                    .param("id", prediction).param("image", image).param("version", version)
                    .param("predicted", (short) predicted).param("p0", p[0]).param("p1", p[1]).param("p2", p[2])
                    .param("p3", p[3]).param("s1", scores.cvx03vs12()).param("s2", scores.cvx0vs3())
                    .param("s3", scores.cvx1vs2()).param("confidence", p[predicted])
                    .param("spread", new Double[] {spread[0], spread[1], spread[2], spread[3]}).param("at", at)
                    .update();
            cohort.predictionIds().add(prediction);
            cohort.storedClasses().add(predicted);
            cohort.truths().add(Integer.parseInt(row.get("final_label")));
            cohort.probabilities().add(p);
            labels.append(i == 1 ? "" : ",").append("{\"image\": \"%s\", \"label\": %s, \"labelledBy\": \"synth_cxr.py\"}"
                    .formatted(image, row.get("final_label")));
        }
        assertThat(cohort.predictionIds()).hasSize(467);
        assertThat(api.sendJson(HttpMethod.POST, "/api/v1/labels", labels.append("]}").toString()).status())
                .isEqualTo(200);
        return cohort;
    }

    /** The evaluation cohort filter that selects these cases (JSON), with {@code extra} members appended. */
    public String filter(String extra) {
        return "{\"modelId\": \"%s\", \"institutionName\": \"%s\"%s}".formatted(MODEL, institution, extra);
    }
}
