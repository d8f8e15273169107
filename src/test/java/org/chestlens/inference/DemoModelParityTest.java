package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import tools.jackson.databind.JsonNode;

/**
 * The default model package end to end: synthetic fixture radiographs (16-bit PNG and the same
 * pixels as DICOM, from {@code models/training/synth_cxr.py --set fixtures}) uploaded through the
 * API must get the ensemble probabilities that Python computed for them with the trained folds
 * ({@code train.py --predict}, written to {@code expected.csv}), within 1e-4.
 */
@ChestlensIntegrationTest
class DemoModelParityTest {

    static final Path FIXTURES = Path.of("models/training/fixtures");
    static final String[] CODES = {"CVX0", "CVX1", "CVX2", "CVX3"};

    @LocalServerPort
    int port;

    record Expected(String series, int label, double[] ensemble, int predicted) {
    }

    @Test
    void servicePredictionsMatchPythonsEnsembleOnTheFixtures() throws IOException {
        ApiClient api = new ApiClient(port);
        List<Expected> expected = expected();
        assertThat(expected).hasSizeGreaterThanOrEqualTo(8);
        assertThat(expected).extracting(Expected::label).contains(0, 1, 2, 3);
        double worst = 0;
        int uploads = 0;
        for (Expected e : expected) {
            for (Path file : List.of(FIXTURES.resolve("png16/" + e.series() + ".png"),
                    FIXTURES.resolve("dicom/" + e.series() + ".dcm"))) {
                boolean dicom = file.toString().endsWith(".dcm");
                MultiValueMap<String, Object> body = new LinkedMultiValueMap<>();
                body.add("file", ApiClient.filePart(Files.readAllBytes(file), file.getFileName().toString(),
                        dicom ? MediaType.parseMediaType("application/dicom") : MediaType.IMAGE_PNG));
                Answer answer = api.post("/api/v1/images", body, ApiClient.header("Prefer", "wait=120"));
                assertThat(answer.status()).as(file.toString()).isIn(200, 201);
                JsonNode prediction = answer.body().path("images").path(0).path("predictions").path(0);
                if (dicom) {
                    // synth_cxr.py writes portable films at 90 kVp / 1000 mm, the others at 120 kVp / 1800 mm.
                    JsonNode attributes = answer.body().path("images").path(0).path("dicom");
                    assertThat(attributes.path("kvp").asDouble()).isIn(90.0, 120.0);
                    assertThat(attributes.path("distanceSourceToDetector").asDouble()).isIn(1000.0, 1800.0);
                }
                assertThat(prediction.path("model").path("id").asString()).isEqualTo("chestlens-demo-densenet121");
                assertThat(prediction.path("model").path("trained").asBoolean(false)).isTrue();
                assertThat(prediction.path("model").path("foldChecksums")).hasSize(3);
                assertThat(prediction.path("notice").asString()).contains("DEMONSTRATION MODEL", "synthetic");
                double[] probabilities = Arrays.stream(CODES)
                        .mapToDouble(c -> prediction.path("probabilities").path(c).asDouble(-1)).toArray();
                assertThat(probabilities).as(file.toString()).containsExactly(e.ensemble(), within(1e-4));
                assertThat(prediction.path("predictedClass").path("index").asInt()).isEqualTo(e.predicted());
                for (int k = 0; k < 4; k++) {
                    worst = Math.max(worst, Math.abs(probabilities[k] - e.ensemble()[k]));
                }
                uploads++;
            }
        }
        System.out.printf("demo model: %d uploads (PNG and DICOM) vs Python's ensemble: max probability "
                + "difference %.3g%n", uploads, worst);
    }

    @Test
    void theModelListAndReadinessSayWhichEngineAndDeviceServeTheModel() {
        ApiClient api = new ApiClient(port);
        JsonNode model = api.get("/api/v1/models/chestlens-demo-densenet121").body();
        assertThat(model.path("device").asString()).isEqualTo("cpu()");
        assertThat(model.path("engine").asString()).isEqualTo("onnxruntime");
        assertThat(model.path("engineVersion").asString()).isEqualTo("1.21.1");
        JsonNode details = api.get("/actuator/health/readiness").body().path("components").path("model")
                .path("details");
        assertThat(details.path("device").asString()).isEqualTo("cpu()");
        assertThat(details.path("engine").asString()).isEqualTo("onnxruntime 1.21.1");
    }

    static List<Expected> expected() throws IOException {
        List<String> lines = Files.readAllLines(FIXTURES.resolve("expected.csv"));
        List<String> header = List.of(lines.get(0).split(","));
        int[] ensemble = Arrays.stream(CODES).mapToInt(c -> header.indexOf("ensemble_p" + c.charAt(3))).toArray();
        assertThat(ensemble).doesNotContain(-1);
        return lines.stream().skip(1).filter(l -> !l.isBlank()).map(line -> {
            String[] f = line.split(",");
            return new Expected(f[header.indexOf("series")], Integer.parseInt(f[header.indexOf("final_label")]),
                    Arrays.stream(ensemble).mapToDouble(i -> Double.parseDouble(f[i])).toArray(),
                    Integer.parseInt(f[header.indexOf("predicted")]));
        }).toList();
    }
}
