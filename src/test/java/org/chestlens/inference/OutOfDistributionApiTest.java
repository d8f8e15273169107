package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The out-of-distribution score end to end on a modest sample: synthetic films the model was not trained on
 * (src/test/resources/ood/heldout: the first film of each of the first 12 patients of the held-out set of the model
 * card, seed 31415, as the 8-bit PNG the pre-processing makes of them) are flagged at most once; images that are not chest
 * radiographs (src/test/resources/ood: pydicom's real CT and MR slices as 16-bit PNG, synthetic ultrasound sectors
 * and CT scouts, two photographs in grey, written by models/training/ood_stats.py --write-test-sample) are. The
 * model card has the rates on the full held-out and non-chest sets.
 */
@ChestlensIntegrationTest
class OutOfDistributionApiTest {

    static final Path HELD_OUT = Path.of("src/test/resources/ood/heldout");
    static final Path NON_CHEST = Path.of("src/test/resources/ood");

    @LocalServerPort
    int port;

    @Test
    void heldOutSyntheticFilmsPassAndNonChestImagesAreFlagged() throws IOException {
        ApiClient api = new ApiClient(port);
        String salt = "ood " + Instant.now();
        List<String> synthetic = new ArrayList<>();
        int syntheticFlagged = 0;
        try (Stream<Path> files = Files.list(HELD_OUT)) {
            for (Path file : files.sorted().toList()) {
                JsonNode ood = score(api, TestImages.withTextChunk(Files.readAllBytes(file), salt));
                synthetic.add(file.getFileName() + " " + ood);
                syntheticFlagged += ood.path("flagged").asBoolean() ? 1 : 0;
            }
        }
        List<String> nonChest = new ArrayList<>();
        int nonChestFlagged = 0;
        try (Stream<Path> files = Files.list(NON_CHEST)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".png")).sorted().toList()) {
                JsonNode ood = score(api, TestImages.withTextChunk(Files.readAllBytes(file), salt));
                nonChest.add(file.getFileName() + " " + ood);
                nonChestFlagged += ood.path("flagged").asBoolean() ? 1 : 0;
            }
        }
        System.out.printf("out-of-distribution: %d of %d synthetic films flagged, %d of %d non-chest images%n%s%n%s%n",
                syntheticFlagged, synthetic.size(), nonChestFlagged, nonChest.size(), synthetic, nonChest);
        assertThat(synthetic).hasSize(12);
        assertThat(nonChest).hasSizeGreaterThanOrEqualTo(12);
        assertThat(syntheticFlagged).as(synthetic.toString()).isLessThanOrEqualTo(1);
        assertThat((double) nonChestFlagged / nonChest.size()).as(nonChest.toString()).isGreaterThanOrEqualTo(0.95);

        // The search finds the flagged ones.
        Answer flagged = api.get("/api/v1/predictions?outOfDistribution=true&limit=500&createdFrom="
                + Instant.now().minusSeconds(600));
        assertThat(flagged.body().path("items").size()).isGreaterThanOrEqualTo(nonChestFlagged);
        flagged.body().path("items").forEach(p -> assertThat(p.path("outOfDistribution").path("flagged").asBoolean()).isTrue());
    }

    private static JsonNode score(ApiClient api, byte[] png) {
        JsonNode image = api.uploadScored(png);
        JsonNode ood = image.path("predictions").path(0).path("outOfDistribution");
        assertThat(ood.path("score").isNumber()).as(image.toString()).isTrue();
        assertThat(ood.path("flagged").asBoolean()).isEqualTo(ood.path("score").asDouble() > ood.path("threshold").asDouble());
        return ood;
    }
}
