package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code chestlens.inference.out-of-distribution=reject}: an upload that waits for its score and is flagged out of
 * the model's distribution is refused with 422 {@code out-of-distribution}, while its flagged prediction stays
 * stored (the refusal can be audited, the image fetched by id); a film like the training images is answered as
 * usual. (The {@code flag} default is {@link OutOfDistributionApiTest}.)
 */
@ChestlensIntegrationTest
@TestPropertySource(properties = "chestlens.inference.out-of-distribution=reject")
class OutOfDistributionRejectTest {

    @LocalServerPort
    int port;

    @Test
    void aNonChestImageIsRefusedAndAChestFilmIsScored() throws IOException {
        ApiClient api = new ApiClient(port);
        String salt = "ood reject " + Instant.now();
        byte[] ct = TestImages.withTextChunk(Files.readAllBytes(
                OutOfDistributionApiTest.NON_CHEST.resolve("ct-pydicom-CT-small-as-stored.png")), salt);
        Answer refused = api.upload(ApiClient.header("Prefer", "wait=120"), ct);
        assertThat(refused.status()).as(refused.body().toString()).isEqualTo(422);
        assertThat(refused.headers().getContentType()).hasToString("application/problem+json");
        assertThat(refused.body().path("type").asString()).endsWith("out-of-distribution");
        JsonNode listed = refused.body().path("images").path(0);
        assertThat(listed.path("score").asDouble()).isGreaterThan(listed.path("threshold").asDouble());
        JsonNode stored = api.get("/api/v1/images/" + listed.path("image").asString()).body()
                .path("predictions").path(0);
        assertThat(stored.path("outOfDistribution").path("flagged").asBoolean()).as(stored.toString()).isTrue();
        assertThat(stored.path("outOfDistribution").path("score").asDouble())
                .isEqualTo(listed.path("score").asDouble());

        // Held-out synthetic films: at most one of the twelve is flagged (OutOfDistributionApiTest), so one of the
        // first two is answered 201 with an unflagged prediction.
        List<Path> films;
        try (Stream<Path> files = Files.list(OutOfDistributionApiTest.HELD_OUT)) {
            films = files.sorted().limit(2).toList();
        }
        Answer scored = null;
        for (Path film : films) {
            Answer answer = api.upload(ApiClient.header("Prefer", "wait=120"),
                    TestImages.withTextChunk(Files.readAllBytes(film), salt));
            assertThat(answer.status()).as(answer.body().toString()).isIn(201, 422);
            if (answer.status() == 201) {
                scored = answer;
                break;
            }
        }
        assertThat(scored).as("a held-out film answered 201").isNotNull();
        assertThat(scored.body().path("images").path(0).path("predictions").path(0).path("outOfDistribution")
                .path("flagged").asBoolean()).isFalse();
    }
}
