package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.JsonNode;

/** DICOM through the upload API: scoring, kept attributes, identity by SOP Instance UID, privacy. */
@ChestlensIntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class DicomUploadTest {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Test
    void aDicomUploadIsScoredWithItsAttributesAndNoPatientIdentity(CapturedOutput output) {
        ApiClient api = new ApiClient(port);

        Answer answer = upload(api, fixture("explicit-le.dcm"));

        assertThat(answer.status()).isIn(200, 201);
        JsonNode image = answer.body().path("images").path(0);
        assertThat(image.path("format").asString()).isEqualTo("DICOM");
        assertThat(image.path("status").asString()).isEqualTo("DONE");
        assertThat(image.path("predictions")).hasSize(1);
        JsonNode dicom = image.path("dicom");
        assertThat(dicom.path("modality").asString()).isEqualTo("DX");
        assertThat(dicom.path("sopInstanceUid").asString()).isEqualTo("1.2.826.0.1.3680043.10.1453.3.1");
        assertThat(dicom.path("transferSyntaxUid").asString()).isEqualTo("1.2.840.10008.1.2.1");
        assertThat(dicom.path("bitsStored").asInt()).isEqualTo(12);
        assertThat(answer.body().toString()).doesNotContain("Doe").doesNotContain("19700101")
                .doesNotContain("PID-TEST-0001");

        // The Patient ID is stored only as a keyed hash.
        String hash = jdbc.sql("SELECT patient_id_hash FROM image WHERE sop_instance_uid = :uid")
                .param("uid", "1.2.826.0.1.3680043.10.1453.3.1").query(String.class).single();
        assertThat(hash).hasSize(64).isNotEqualTo(IngestService.sha256("PID-TEST-0001".getBytes()));
        for (String identity : TestImages.FIXTURE_PATIENT_IDENTITY) {
            assertThat(rowsContaining(identity)).as("database rows containing " + identity).isZero();
            assertThat(output.getAll()).as("logs containing " + identity).doesNotContain(identity);
        }
    }

    @Test
    void theSameSopInstanceUidInAnotherEncodingIsTheSameImage() {
        ApiClient api = new ApiClient(port);
        Answer uncompressed = upload(api, fixture("explicit-le.dcm"));
        Answer rle = upload(api, fixture("rle.dcm"));
        Answer jpegLossless = upload(api, fixture("jpeg-lossless-sv1.dcm"));

        String id = uncompressed.body().path("images").path(0).path("id").asString();
        assertThat(rle.status()).isEqualTo(200);
        assertThat(rle.body().path("images").path(0).path("id").asString()).isEqualTo(id);
        assertThat(jpegLossless.body().path("images").path(0).path("id").asString()).isEqualTo(id);
        assertThat(jdbc.sql("SELECT count(*) FROM image WHERE sop_instance_uid = :uid")
                .param("uid", "1.2.826.0.1.3680043.10.1453.3.1").query(Long.class).single()).isEqualTo(1L);
    }

    @Test
    void aCtIsRefusedByTheInputGateAndNothingIsStored() {
        byte[] ct = fixture("pydicom-CT_small.dcm");
        Answer answer = upload(new ApiClient(port), ct);
        assertThat(answer.status()).isEqualTo(422);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.body().path("type").asString()).isEqualTo("urn:chestlens:problem:not-a-chest-radiograph");
        assertThat(answer.body().path("detail").asString()).contains("Modality is CT, not CR or DX");
        assertThat(answer.body().path("checks").path(0).asString()).isEqualTo("modality");
        assertThat(jdbc.sql("SELECT count(*) FROM image WHERE sha256 = :sha").param("sha", IngestService.sha256(ct))
                .query(Long.class).single()).isZero();
    }

    @Test
    void anApplicationDicomBodyIsAccepted() {
        byte[] file = fixture("jpeg-lossless-sv1.dcm");
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.parseMediaType("application/dicom"));
        var response = RestClient.create("http://localhost:" + port).post().uri("/api/v1/images")
                .headers(h -> h.addAll(headers)).headers(h -> h.addAll(TestSecurity.allRoles())).body(file).retrieve().toEntity(String.class);
        assertThat(response.getStatusCode().value()).isIn(200, 201);
        assertThat(response.getBody()).contains("\"format\":\"DICOM\"").contains("\"status\":\"DONE\"");
    }

    @Test
    void anUnsupportedTransferSyntaxIs415NamingIt() {
        // signed HTJ2K: OpenJPEG 2.5.0 does not decode it exactly
        Answer answer = upload(new ApiClient(port), fixture("signed16-htj2k-lossless.dcm"));
        assertThat(answer.status()).isEqualTo(415);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.body().path("detail").asString()).contains("1.2.840.10008.1.2.4.201");
    }

    @Test
    void aTwelveBitJpegExtendedUploadIsScored() {
        // decoded by gdcm's 12-bit IJG library through the chestlens-jpeg12 shim (target/native, the default)
        Answer answer = upload(new ApiClient(port), fixture("jpeg-extended-12bit.dcm"));
        assertThat(answer.status()).as(answer.body().toString()).isIn(200, 201);
        JsonNode image = answer.body().path("images").path(0);
        assertThat(image.path("status").asString()).isEqualTo("DONE");
        assertThat(image.path("predictions")).hasSize(1);
        assertThat(image.path("dicom").path("transferSyntaxUid").asString()).isEqualTo("1.2.840.10008.1.2.4.51");
        assertThat(image.path("dicom").path("bitsStored").asInt()).isEqualTo(12);
    }

    @Test
    void aColourImageIs422() {
        Answer answer = upload(new ApiClient(port), fixture("pydicom-SC_rgb_rle.dcm"));
        assertThat(answer.status()).isEqualTo(422);
    }

    private long rowsContaining(String text) {
        List<String[]> columns = jdbc.sql("""
                        SELECT table_name, column_name FROM information_schema.columns
                        WHERE table_schema = current_schema() AND data_type IN ('text', 'character', 'character varying', 'ARRAY')""")
                .query((rs, n) -> new String[] {rs.getString(1), rs.getString(2)}).list();
        long found = 0;
        for (String[] column : columns) {
            found += jdbc.sql("SELECT count(*) FROM " + column[0] + " WHERE " + column[1] + "::text LIKE :pattern")
                    .param("pattern", "%" + text + "%").query(Long.class).single();
        }
        return found;
    }

    private static Answer upload(ApiClient api, byte[] file) {
        MultiValueMap<String, Object> body = new LinkedMultiValueMap<>();
        body.add("file", ApiClient.filePart(file, "study.dcm", MediaType.parseMediaType("application/dicom")));
        // Waits up to 60 s for the score (the default wait, 10 s, is too short for a busy 2-core CI machine).
        return api.post("/api/v1/images", body, ApiClient.header("Prefer", "wait=60"));
    }

    private static byte[] fixture(String name) {
        try {
            return Files.readAllBytes(Path.of("src/test/resources/dicom", name));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
