package org.chestlens.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.chestlens.client.ApiClient;
import org.chestlens.client.api.AdministrationApi;
import org.chestlens.client.api.ImagesApi;
import org.chestlens.client.api.PredictionsApi;
import org.chestlens.client.model.ApiKeyRequest;
import org.chestlens.client.model.CreatedApiKey;
import org.chestlens.client.model.Image;
import org.chestlens.client.model.Prediction;
import org.chestlens.client.model.UploadResult;
import org.chestlens.platform.security.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.client.HttpClientErrorException;

/**
 * What a team that generates a client from the committed contract gets: the Java client that
 * openapi-generator makes from openapi/openapi.yaml in generate-test-sources (pom.xml, package
 * org.chestlens.client, never in the jar) creates an API key, uploads a radiograph and reads its
 * prediction against the running service, with nothing written by hand but these calls.
 */
@ChestlensIntegrationTest
class GeneratedClientTest {

    private static final String MODEL_ID = "chestlens-demo-densenet121";

    @LocalServerPort
    int port;

    @TempDir
    Path files;

    @Test
    void aGeneratedClientUploadsAnImageAndReadsItsPrediction() throws IOException {
        ApiClient admin = client();
        admin.setBearerToken(TestSecurity.token("generated-client-admin", Role.ADMIN));
        CreatedApiKey created = new AdministrationApi(admin).createApiKey(new ApiKeyRequest()
                .name("generated-client-" + UUID.randomUUID()).roles(Set.of("submitter", "reader")));
        assertThat(created.getKey()).startsWith("clk_");

        ApiClient engine = client();
        engine.setApiKey(created.getKey());
        Path radiograph = Files.write(files.resolve("chest.png"), TestImages.syntheticPng(17001, 300, 320));
        UploadResult upload = new ImagesApi(engine).uploadImages(List.of(radiograph.toFile()), "wait=60", null, null, "stat");

        assertThat(upload.getImages()).hasSize(1);
        Image image = upload.getImages().get(0);
        assertThat(image.getStatus()).isEqualTo(Image.StatusEnum.DONE);
        assertThat(image.getFormat()).isEqualTo(Image.FormatEnum.PNG);
        assertThat(image.getWidth()).isEqualTo(300);
        assertThat(image.getHeight()).isEqualTo(320);
        assertThat(image.getPredictions()).hasSize(1);

        PredictionsApi predictions = new PredictionsApi(engine);
        Prediction prediction = predictions.getPrediction(image.getPredictions().get(0).getId());
        assertThat(prediction.getImageId()).isEqualTo(image.getId());
        assertThat(prediction.getModel().getId()).isEqualTo(MODEL_ID);
        assertThat(prediction.getModel().getFoldChecksums()).isNotEmpty();
        Map<String, Double> probabilities = prediction.getProbabilities();
        assertThat(probabilities).containsOnlyKeys("CVX0", "CVX1", "CVX2", "CVX3");
        assertThat(probabilities.values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, within(1e-4));
        String mostProbable = probabilities.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        assertThat(prediction.getPredictedClass().getCode()).isIn("CVX0", "CVX1", "CVX2", "CVX3")
                .isEqualTo(mostProbable);
        assertThat(prediction.getConfidence()).isCloseTo(probabilities.get(mostProbable), within(1e-6));

        Image stored = predictions.getImage(image.getId());
        assertThat(stored.getSha256()).isEqualTo(image.getSha256());
        assertThat(stored.getPredictions()).extracting(Prediction::getId).containsExactly(prediction.getId());

        // The service's problem answers reach the caller as the client's typed HTTP errors.
        assertThatThrownBy(() -> predictions.getPrediction(UUID.randomUUID()))
                .isInstanceOf(HttpClientErrorException.NotFound.class);
    }

    private ApiClient client() {
        return new ApiClient().setBasePath("http://localhost:" + port);
    }
}
