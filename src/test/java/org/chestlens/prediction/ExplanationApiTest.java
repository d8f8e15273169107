package org.chestlens.prediction;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import javax.imageio.ImageIO;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.ReferenceTensors;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * The heat map and model view endpoints for a fresh upload of the default (format-2) demo model: the
 * stored grid is the one the batcher computed, the PNG decodes to the model's view plus a legend, the
 * model view is exactly the pre-processed input, answers revalidate by ETag, reads are audited, and
 * an expired model view is purged while the prediction and its grid stay.
 */
@ChestlensIntegrationTest
class ExplanationApiTest {

    static final Path REFERENCE = Path.of("models/chestlens-demo-densenet121/reference");

    @LocalServerPort
    int port;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    ModelViews views;

    @Test
    void heatMapAndModelViewOfAFreshUploadThenRetentionPurge() throws IOException {
        ApiClient api = new ApiClient(port);
        ReferenceTensors.Case reference = ReferenceTensors.load(REFERENCE).get(0);
        byte[] png = withNonce(Files.readAllBytes(REFERENCE.resolve(reference.png())));
        Answer upload = api.upload(ApiClient.header("Prefer", "wait=120"), png);
        assertThat(upload.status()).isEqualTo(201);
        JsonNode image = upload.body().path("images").path(0);
        String imageId = image.path("id").asString();
        JsonNode prediction = image.path("predictions").path(0);
        String predictionId = prediction.path("id").asString();
        String predicted = prediction.path("predictedClass").path("code").asString();

        // The grid: 4 maps of 7 x 7 stored, the predicted class explained by default.
        assertThat(jdbc.sql("SELECT octet_length(grid) FROM prediction_activation_map WHERE prediction_id = :id")
                .param("id", UUID.fromString(predictionId)).query(Integer.class).single()).isEqualTo(784);
        Answer json = api.get("/api/v1/predictions/" + predictionId + "/heatmap?format=json");
        assertThat(json.status()).isEqualTo(200);
        assertThat(json.body().path("class").asString()).isEqualTo(predicted);
        assertThat(json.body().path("outputs").toString()).isEqualTo("[\"CVX0\",\"CVX1\",\"CVX2\",\"CVX3\"]");
        assertThat(json.body().path("grid")).hasSize(7);
        assertThat(json.body().path("grid").path(0)).hasSize(7);
        assertThat(json.body().path("modelView").path("available").asBoolean()).isTrue();
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (JsonNode row : json.body().path("grid")) {
            for (JsonNode cell : row) {
                min = Math.min(min, cell.floatValue());
                max = Math.max(max, cell.floatValue());
            }
        }
        assertThat(json.body().path("min").floatValue()).isEqualTo(min);
        assertThat(json.body().path("max").floatValue()).isEqualTo(max).isGreaterThan(min);
        // The service's map for this reference image is the one Python computed (fold average, 1e-4).
        int classIndex = ChestClass.valueOf(predicted).index();
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 7; x++) {
                assertThat(json.body().path("grid").path(y).path(x).doubleValue())
                        .isCloseTo(reference.cam()[classIndex * 49 + y * 7 + x], org.assertj.core.data.Offset.offset(1e-4));
            }
        }

        // The model view is the model input, 8-bit.
        ApiClient.BytesAnswer view = api.getBytes("/api/v1/images/" + imageId + "/model-view", new HttpHeaders());
        assertThat(view.status()).isEqualTo(200);
        assertThat(view.headers().getContentType().toString()).isEqualTo("image/png");
        BufferedImage grey = ImageIO.read(new ByteArrayInputStream(view.body()));
        assertThat(grey.getWidth()).isEqualTo(224);
        assertThat(grey.getHeight()).isEqualTo(224);
        int[] values = grey.getRaster().getSamples(0, 0, 224, 224, 0, new int[224 * 224]);
        for (int i = 0; i < values.length; i++) {
            assertThat(values[i]).isEqualTo(Math.round(reference.input()[i] * 255f));
        }

        // The picture: model view size plus the legend strip; revalidated by ETag.
        ApiClient.BytesAnswer heat = api.getBytes("/api/v1/predictions/" + predictionId + "/heatmap?class=CVX1",
                new HttpHeaders());
        assertThat(heat.status()).isEqualTo(200);
        assertThat(heat.headers().getContentType().toString()).isEqualTo("image/png");
        BufferedImage picture = ImageIO.read(new ByteArrayInputStream(heat.body()));
        assertThat(picture.getWidth()).isEqualTo(224);
        assertThat(picture.getHeight()).isEqualTo(224 + HeatMapRenderer.LEGEND_HEIGHT);
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target/heatmap-" + reference.png()), heat.body());
        Files.write(Path.of("target/model-view-" + reference.png()), view.body());
        Files.writeString(Path.of("target/heatmap-" + reference.png() + ".json"), json.body().toString());
        String etag = heat.headers().getETag();
        assertThat(etag).isNotBlank();
        assertThat(heat.headers().getCacheControl()).contains("private");
        assertThat(api.getBytes("/api/v1/predictions/" + predictionId + "/heatmap?class=CVX1",
                ApiClient.header("If-None-Match", etag)).status()).isEqualTo(304);

        // Clear 4xx for what cannot be answered.
        assertThat(api.get("/api/v1/predictions/" + predictionId + "/heatmap?class=CVX9&format=json").status())
                .isEqualTo(400);
        assertThat(api.get("/api/v1/predictions/" + predictionId + "/heatmap?format=gif").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/predictions/" + UUID.randomUUID() + "/heatmap?format=json").status())
                .isEqualTo(404);

        // The deflated view and the float input are stored as they are: PostgreSQL's own compression, tried on every
        // insert by default, found nothing to gain and cost the view's insert seven to eight times its time (V13, V26).
        assertThat(jdbc.sql("""
                        SELECT attrelid::regclass || '.' || attname || ' ' || attstorage::text FROM pg_attribute
                        WHERE (attrelid, attname) IN (('image_model_view'::regclass, 'png'), ('inference_job'::regclass, 'input'))
                        ORDER BY 1""").query(String.class).list())
                .containsExactly("image_model_view.png e", "inference_job.input e");

        // Audited like other reads, with the image named.
        assertThat(jdbc.sql("SELECT count(*) FROM audit_event WHERE action = 'prediction.heatmap' AND status = 200 "
                        + "AND :image = ANY(resource_ids)").param("image", imageId).query(Long.class).single())
                .isGreaterThanOrEqualTo(2);
        assertThat(jdbc.sql("SELECT count(*) FROM audit_event WHERE action = 'image.model-view' AND status = 200 "
                        + "AND :image = ANY(resource_ids)").param("image", imageId).query(Long.class).single())
                .isEqualTo(1);

        // Retention: once expired and purged, the view is gone; the prediction and its grid remain.
        jdbc.sql("UPDATE image_model_view SET expires_at = now() - interval '1 second' WHERE image_id = :id")
                .param("id", UUID.fromString(imageId)).update();
        assertThat(views.purgeExpired()).isGreaterThanOrEqualTo(1);
        assertThat(views.purgeExpired()).isZero();
        assertThat(jdbc.sql("SELECT count(*) FROM image_model_view WHERE image_id = :id")
                .param("id", UUID.fromString(imageId)).query(Long.class).single()).isZero();
        assertThat(api.getBytes("/api/v1/images/" + imageId + "/model-view", new HttpHeaders()).status())
                .isEqualTo(404);
        assertThat(api.get("/api/v1/predictions/" + predictionId).status()).isEqualTo(200);
        Answer after = api.get("/api/v1/predictions/" + predictionId + "/heatmap?format=json");
        assertThat(after.body().path("grid")).isEqualTo(json.body().path("grid"));
        assertThat(after.body().path("modelView").path("available").asBoolean()).isFalse();
        ApiClient.BytesAnswer alone = api.getBytes("/api/v1/predictions/" + predictionId + "/heatmap", new HttpHeaders());
        assertThat(alone.status()).isEqualTo(200);
        assertThat(alone.headers().getETag()).isNotEqualTo(etag);
    }

    /**
     * Heat maps of fresh uploads of fixture radiographs with drawn findings, for the true class, saved
     * under target/explanations/ for people to look at (does the map sit on the finding?).
     */
    @Test
    void heatMapsOfFixtureRadiographsWithFindings() throws IOException {
        ApiClient api = new ApiClient(port);
        Path out = Files.createDirectories(Path.of("target/explanations"));
        // F00001 CVX1 bilateral lower zones, F00002 CVX2 central, F00004 CVX1 on an ICU film, F00005 CVX3 consolidation (ICU)
        for (String[] fixture : new String[][] {{"F00001-1", "CVX1"}, {"F00002-1", "CVX2"}, {"F00004-1", "CVX1"},
                {"F00005-1", "CVX3"}}) {
            byte[] png = withNonce(Files.readAllBytes(Path.of("models/training/fixtures/png16/" + fixture[0] + ".png")));
            Answer upload = api.upload(ApiClient.header("Prefer", "wait=120"), png);
            assertThat(upload.status()).isEqualTo(201);
            JsonNode image = upload.body().path("images").path(0);
            String predictionId = image.path("predictions").path(0).path("id").asString();
            ApiClient.BytesAnswer heat = api.getBytes("/api/v1/predictions/" + predictionId + "/heatmap?class="
                    + fixture[1], new HttpHeaders());
            assertThat(heat.status()).isEqualTo(200);
            assertThat(ImageIO.read(new ByteArrayInputStream(heat.body())).getHeight())
                    .isEqualTo(224 + HeatMapRenderer.LEGEND_HEIGHT);
            Files.write(out.resolve(fixture[0] + "-" + fixture[1] + ".png"), heat.body());
            Files.write(out.resolve(fixture[0] + "-model-view.png"), api.getBytes("/api/v1/images/"
                    + image.path("id").asString() + "/model-view", new HttpHeaders()).body());
            Files.writeString(out.resolve(fixture[0] + "-" + fixture[1] + ".json"),
                    api.get("/api/v1/predictions/" + predictionId + "/heatmap?format=json&class=" + fixture[1])
                            .body().toString());
        }
    }

    /** The same pixels in bytes never seen before: a new image to the service. */
    static byte[] withNonce(byte[] png) {
        return TestImages.withTextChunk(png, UUID.randomUUID().toString());
    }
}
