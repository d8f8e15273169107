package org.chestlens.interop.pacs;

import static org.assertj.core.api.Assertions.assertThat;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.Format1IntegrationTest;
import org.chestlens.interop.StudyInstances;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A model package without class activation maps (format 1): a DICOM upload's prediction still has its SR,
 * valid, but no heat-map Secondary Capture (409 explanation-unavailable).
 */
@Format1IntegrationTest
class PacsObjectsFormat1Test {

    @LocalServerPort
    int port;

    @Test
    void aModelWithoutMapsHasAnSrButNoSecondaryCapture() throws Exception {
        ApiClient api = new ApiClient(port);
        Answer upload = PacsObjectsApiTest.uploadDicom(api, StudyInstances.instance(StudyInstances.newUid(),
                StudyInstances.newUid(), StudyInstances.newUid()));
        assertThat(upload.status()).isEqualTo(201);
        String id = upload.body().path("images").path(0).path("predictions").path(0).path("id").asString();

        Answer sc = api.get("/api/v1/predictions/" + id + "/dicom-sc");
        assertThat(sc.status()).isEqualTo(409);
        assertThat(sc.contentType()).startsWith("application/problem+json");
        assertThat(sc.body().path("type").asString()).isEqualTo("urn:chestlens:problem:explanation-unavailable");

        ApiClient.BytesAnswer sr = api.getBytes("/api/v1/predictions/" + id + "/dicom-sr",
                ApiClient.header("Accept", "application/dicom"));
        assertThat(sr.status()).isEqualTo(200);
        PacsObjectsApiTest.assertValid(sr.body(), "sr-format1");
    }
}
