package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import tools.jackson.databind.JsonNode;

/** STOW-RS through HTTP: the Store Instances Response, its status codes and failure reasons. */
@ChestlensIntegrationTest
class StowRsApiTest {

    private static final String BOUNDARY = "stow-test-boundary-0123456789";
    private static final int CANNOT_UNDERSTAND = 0xC000;
    private static final int TRANSFER_SYNTAX_NOT_SUPPORTED = 0xC122;
    private static final int STUDY_MISMATCH = 0xA901;

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Test
    void aMixedRequestStoresTheGoodInstanceAndNamesEachFailure() throws Exception {
        String study = StudyInstances.newUid();
        String good = StudyInstances.newUid();
        String damaged = StudyInstances.newUid();
        byte[] goodFile = StudyInstances.instance(study, StudyInstances.newUid(), good);
        byte[] damagedFull = StudyInstances.instance(study, StudyInstances.newUid(), damaged);
        byte[] damagedFile = Arrays.copyOf(damagedFull, damagedFull.length / 2); // cut inside the Pixel Data
        byte[] png = TestImages.syntheticPng(7, 64, 64);

        ApiClient api = new ApiClient(port);
        Answer answer = api.post("/dicomweb/studies", StudyInstances.contentType(BOUNDARY),
                StudyInstances.multipartRelated(BOUNDARY, goodFile, damagedFile, png));

        assertThat(answer.status()).isEqualTo(202);
        assertThat(answer.contentType()).startsWith("application/dicom+json");
        JsonNode body = answer.body();
        assertThat(body.path("00081190").path("vr").asString()).isEqualTo("UR");

        JsonNode stored = body.path("00081199").path("Value");
        assertThat(stored).hasSize(1);
        assertThat(uid(stored.path(0), "00081150")).isEqualTo(StudyInstances.DIGITAL_XRAY_FOR_PRESENTATION);
        assertThat(uid(stored.path(0), "00081155")).isEqualTo(good);
        String retrieveUrl = stored.path(0).path("00081190").path("Value").path(0).asString();
        assertThat(retrieveUrl).startsWith("http://").contains("/api/v1/images/");

        JsonNode failed = body.path("00081198").path("Value");
        assertThat(failed).hasSize(2);
        assertThat(uid(failed.path(0), "00081155")).isEqualTo(damaged);
        assertThat(failed.path(0).path("00081197").path("vr").asString()).isEqualTo("US");
        assertThat(failed.path(0).path("00081197").path("Value").path(0).asInt()).isEqualTo(CANNOT_UNDERSTAND);
        assertThat(failed.path(1).has("00081155")).as("a PNG has no SOP Instance UID").isFalse();
        assertThat(failed.path(1).path("00081197").path("Value").path(0).asInt()).isEqualTo(CANNOT_UNDERSTAND);

        // The stored instance is scored like any upload: its Retrieve URL is the image with its prediction.
        JsonNode image = awaitScored(api, retrieveUrl.substring(retrieveUrl.indexOf("/api/v1/images/")));
        assertThat(image.path("dicom").path("sopInstanceUid").asString()).isEqualTo(good);
        assertThat(image.path("dicom").path("studyInstanceUid").asString()).isEqualTo(study);
        assertThat(imagesWithSop(damaged)).isZero();
    }

    @Test
    void theSameInstanceAgainIsStoredOnceAndAnsweredAsStored() {
        String sop = StudyInstances.newUid();
        byte[] file = StudyInstances.instance(StudyInstances.newUid(), StudyInstances.newUid(), sop);
        ApiClient api = new ApiClient(port);

        Answer first = api.post("/dicomweb/studies", StudyInstances.contentType(BOUNDARY),
                StudyInstances.multipartRelated(BOUNDARY, file, file));
        Answer again = api.post("/dicomweb/studies", StudyInstances.contentType(BOUNDARY),
                StudyInstances.multipartRelated(BOUNDARY, file));

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.body().path("00081199").path("Value")).hasSize(2);
        assertThat(first.body().has("00081198")).isFalse();
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body().path("00081199").path("Value").path(0).path("00081190"))
                .isEqualTo(first.body().path("00081199").path("Value").path(0).path("00081190"));
        assertThat(imagesWithSop(sop)).isEqualTo(1);
    }

    @Test
    void allInstancesFailingIs409WithTheirReasons() {
        byte[] text = "not a DICOM file".getBytes(StandardCharsets.US_ASCII);
        byte[] signedHtj2k = StudyInstances.fixture("signed16-htj2k-lossless.dcm");

        Answer answer = new ApiClient(port).post("/dicomweb/studies", StudyInstances.contentType(BOUNDARY),
                StudyInstances.multipartRelated(BOUNDARY, text, signedHtj2k));

        assertThat(answer.status()).isEqualTo(409);
        assertThat(answer.contentType()).startsWith("application/dicom+json");
        assertThat(answer.body().has("00081199")).isFalse();
        JsonNode failed = answer.body().path("00081198").path("Value");
        assertThat(failed).hasSize(2);
        assertThat(failed.path(0).path("00081197").path("Value").path(0).asInt()).isEqualTo(CANNOT_UNDERSTAND);
        assertThat(failed.path(1).path("00081197").path("Value").path(0).asInt())
                .isEqualTo(TRANSFER_SYNTAX_NOT_SUPPORTED);
        // signed HTJ2K is refused (OpenJPEG 2.5.0 does not decode it exactly), with the instance named
        assertThat(uid(failed.path(1), "00081155")).isEqualTo("1.2.826.0.1.3680043.10.1453.3.16");
    }

    @Test
    void anInstanceOfAnotherStudyThanThePathIsNotStored() {
        String study = StudyInstances.newUid();
        String ours = StudyInstances.newUid();
        String theirs = StudyInstances.newUid();
        byte[] ofThisStudy = StudyInstances.instance(study, StudyInstances.newUid(), ours);
        byte[] ofAnotherStudy = StudyInstances.instance(StudyInstances.newUid(), StudyInstances.newUid(), theirs);

        Answer answer = new ApiClient(port).post("/dicomweb/studies/" + study, StudyInstances.contentType(BOUNDARY),
                StudyInstances.multipartRelated(BOUNDARY, ofThisStudy, ofAnotherStudy));

        assertThat(answer.status()).isEqualTo(202);
        assertThat(uid(answer.body().path("00081199").path("Value").path(0), "00081155")).isEqualTo(ours);
        JsonNode failed = answer.body().path("00081198").path("Value");
        assertThat(failed).hasSize(1);
        assertThat(uid(failed.path(0), "00081155")).isEqualTo(theirs);
        assertThat(failed.path(0).path("00081197").path("Value").path(0).asInt()).isEqualTo(STUDY_MISMATCH);
        assertThat(imagesWithSop(theirs)).isZero();
        assertThat(imagesWithSop(ours)).isEqualTo(1);
    }

    @Test
    void aWrongMediaTypeIs415Problem() {
        ApiClient api = new ApiClient(port);
        byte[] file = StudyInstances.fixture("explicit-le.dcm");

        Answer single = api.post("/dicomweb/studies", "application/dicom", file,
                ApiClient.header("Accept", "application/dicom+json"));
        Answer metadata = api.post("/dicomweb/studies",
                "multipart/related; type=\"application/dicom+xml\"; boundary=" + BOUNDARY,
                StudyInstances.multipartRelated(BOUNDARY, file));
        MultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
        form.add("file", ApiClient.filePart(file, "x.dcm", MediaType.parseMediaType("application/dicom")));
        Answer formData = api.post("/dicomweb/studies", form);

        for (Answer answer : List.of(single, metadata, formData)) {
            assertThat(answer.status()).isEqualTo(415);
            assertThat(answer.contentType()).startsWith("application/problem+json");
            assertThat(answer.body().path("status").asInt()).isEqualTo(415);
        }
    }

    @Test
    void aMalformedBodyIs400Problem() {
        ApiClient api = new ApiClient(port);
        byte[] file = StudyInstances.fixture("explicit-le.dcm");

        // As a DICOMweb client asks: the problem still comes back as problem+json.
        Answer noBoundary = api.post("/dicomweb/studies", "multipart/related; type=\"application/dicom\"", file,
                ApiClient.header("Accept", "application/dicom+json"));
        Answer noParts = api.post("/dicomweb/studies", StudyInstances.contentType(BOUNDARY),
                "no delimiter anywhere".getBytes(StandardCharsets.US_ASCII));
        byte[] whole = StudyInstances.multipartRelated(BOUNDARY, file);
        Answer cutOff = api.post("/dicomweb/studies", StudyInstances.contentType(BOUNDARY),
                Arrays.copyOf(whole, whole.length / 2));

        for (Answer answer : List.of(noBoundary, noParts, cutOff)) {
            assertThat(answer.status()).isEqualTo(400);
            assertThat(answer.contentType()).startsWith("application/problem+json");
            assertThat(answer.body().path("type").asString()).isEqualTo("urn:chestlens:problem:malformed-multipart");
        }
    }

    private long imagesWithSop(String sopInstanceUid) {
        return jdbc.sql("SELECT count(*) FROM image WHERE sop_instance_uid = :uid").param("uid", sopInstanceUid)
                .query(Long.class).single();
    }

    private static String uid(JsonNode item, String tag) {
        return item.path(tag).path("Value").path(0).asString();
    }

    static JsonNode awaitScored(ApiClient api, String imagePath) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Answer answer = api.get(imagePath);
        while (!"DONE".equals(answer.body().path("status").asString()) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            answer = api.get(imagePath);
        }
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body().path("status").asString()).as("scoring status of " + imagePath).isEqualTo("DONE");
        assertThat(answer.body().path("predictions")).hasSize(1);
        return answer.body();
    }
}
