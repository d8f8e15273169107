package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestSecurity;
import org.chestlens.platform.security.Role;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * End to end with a real PACS router: a private Orthanc (Debian's orthanc + orthanc-dicomweb) on
 * loopback holds a study and pushes it here with its own DICOMweb STOW-RS client, configured the way
 * the README tells a hospital to configure it, and with its DIMSE C-STORE client to chestlens declared
 * as a modality (the C-STORE receiver). Each instance must then have a prediction here.
 */
@ChestlensIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrthancStowTest {

    private static final String SERVER_NAME = "chestlens";
    /** Orthanc's own AE title, which the receiver's test configuration allows to call it. */
    private static final String ORTHANC_AE_TITLE = "ORTHANCTEST";
    private static final int INSTANCES = 3;
    private static final JsonMapper JSON = Orthanc.JSON;

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    StorageScp scp;

    private Orthanc orthanc;

    /** The headers Orthanc sends with every STOW-RS request to chestlens ("HttpHeaders" of the server). */
    static Map<String, String> credentialHeaders() {
        // Orthanc authenticates as a PACS router would: a credential with the submitter role only.
        return Map.of("Authorization", "Bearer " + TestSecurity.token("orthanc-router", Role.SUBMITTER));
    }

    @BeforeAll
    void startOrthanc() throws Exception {
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("Url", "http://127.0.0.1:" + port + "/dicomweb/");
        server.put("HttpHeaders", credentialHeaders());
        Map<String, Object> config = new LinkedHashMap<>();
        // chestlens's C-STORE receiver as a modality (AE title, host, port), the way a PACS declares an archive.
        config.put("DicomAet", ORTHANC_AE_TITLE);
        config.put("DicomModalities", Map.of("chestlens", List.of("CHESTLENS", "127.0.0.1", scp.state().port())));
        config.put("DicomPort", Orthanc.freePort());
        config.put("DicomWeb", Map.of("Enable", true, "Servers", Map.of(SERVER_NAME, server)));
        orthanc = Orthanc.start(config);
    }

    @AfterAll
    void stopOrthanc() throws Exception {
        if (orthanc != null) {
            orthanc.close();
        }
    }

    @Test
    void orthancSendsAStudyByCStoreToChestlensAsAModalityAndEveryInstanceIsScored() throws Exception {
        String study = StudyInstances.newUid();
        List<String> sopUids = new ArrayList<>();
        String orthancStudyId = storeInOrthanc(study, sopUids);
        long audited = jdbc.sql("SELECT count(*) FROM audit_event WHERE actor = :ae AND action = 'dicom.c-store'")
                .param("ae", ORTHANC_AE_TITLE).query(Long.class).single();

        String request = JSON.writeValueAsString(Map.of("Resources", List.of(orthancStudyId), "Synchronous", true));
        HttpResponse<String> push = orthanc.post("/modalities/chestlens/store", "application/json",
                request.getBytes(StandardCharsets.UTF_8));

        // Orthanc's store job fails unless every C-STORE was answered with success.
        assertThat(push.statusCode()).as("Orthanc C-STORE to the modality: " + push.body() + "\n" + orthanc.logTail())
                .isEqualTo(200);
        assertThat(JSON.readTree(push.body()).path("InstancesCount").asInt()).isEqualTo(INSTANCES);
        assertEveryInstanceScored(study, sopUids);
        assertThat(jdbc.sql("SELECT count(*) FROM audit_event WHERE actor = :ae AND action = 'dicom.c-store'")
                .param("ae", ORTHANC_AE_TITLE).query(Long.class).single() - audited).isEqualTo(INSTANCES);
    }

    /** Stores INSTANCES new instances of the study in Orthanc; answers Orthanc's id of the study. */
    private String storeInOrthanc(String study, List<String> sopUids) throws Exception {
        String series = StudyInstances.newUid();
        String orthancStudyId = null;
        for (int i = 0; i < INSTANCES; i++) {
            String sop = StudyInstances.newUid();
            sopUids.add(sop);
            HttpResponse<String> stored = orthanc.post("/instances", "application/dicom",
                    StudyInstances.instance(study, series, sop));
            assertThat(stored.statusCode()).as("Orthanc POST /instances: " + stored.body()).isEqualTo(200);
            JsonNode answer = JSON.readTree(stored.body());
            assertThat(answer.path("Status").asString()).isEqualTo("Success");
            orthancStudyId = answer.path("ParentStudy").asString();
        }
        return orthancStudyId;
    }

    private void assertEveryInstanceScored(String study, List<String> sopUids) throws Exception {
        ApiClient api = new ApiClient(port);
        for (String sop : sopUids) {
            List<String> ids = jdbc.sql("SELECT id::text FROM image WHERE sop_instance_uid = :uid")
                    .param("uid", sop).query(String.class).list();
            assertThat(ids).as("images stored for SOP Instance UID " + sop).hasSize(1);
            JsonNode image = StowRsApiTest.awaitScored(api, "/api/v1/images/" + ids.get(0));
            assertThat(image.path("format").asString()).isEqualTo("DICOM");
            assertThat(image.path("dicom").path("studyInstanceUid").asString()).isEqualTo(study);
            JsonNode probabilities = image.path("predictions").path(0).path("probabilities");
            assertThat(probabilities.size()).isEqualTo(4);
            double sum = 0;
            for (JsonNode p : probabilities) {
                sum += p.asDouble();
            }
            assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @Test
    void orthancPushesAStudyWithItsStowRsClientAndEveryInstanceIsScored() throws Exception {
        String study = StudyInstances.newUid();
        List<String> sopUids = new ArrayList<>();
        String orthancStudyId = storeInOrthanc(study, sopUids);

        String request = JSON.writeValueAsString(Map.of("Resources", List.of(orthancStudyId), "Synchronous", true));
        HttpResponse<String> push = orthanc.post("/dicom-web/servers/" + SERVER_NAME + "/stow", "application/json",
                request.getBytes(StandardCharsets.UTF_8));

        // Orthanc's client fails the job unless the Referenced SOP Sequence holds every instance sent
        // and the Failed SOP Sequence is empty, so 200 here means chestlens stored all of them.
        assertThat(push.statusCode()).as("Orthanc STOW-RS push: " + push.body() + "\n" + orthanc.logTail()).isEqualTo(200);
        assertEveryInstanceScored(study, sopUids);
    }

    /**
     * The results go back: Orthanc's REST API (POST /instances, as a PACS archive stores what it receives)
     * accepts the SR and the Secondary Capture chestlens builds for a scored instance, files them under the
     * source's Study Instance UID, and the SR read back carries the stored probabilities. Orthanc keys a
     * study by Patient ID and Study Instance UID together, so with the empty patient module they form a
     * study of their own beside the source's (same UID, an empty patient): the limit docs/pacs.md states.
     */
    @Test
    void orthancAcceptsTheSrAndSecondaryCaptureOfAScoredInstance() throws Exception {
        String study = StudyInstances.newUid();
        byte[] source = StudyInstances.instance(study, StudyInstances.newUid(), StudyInstances.newUid());
        HttpResponse<String> storedSource = orthanc.post("/instances", "application/dicom", source);
        assertThat(storedSource.statusCode()).as(storedSource.body()).isEqualTo(200);
        String sourceStudy = JSON.readTree(storedSource.body()).path("ParentStudy").asString();

        ApiClient api = new ApiClient(port);
        org.springframework.util.MultiValueMap<String, Object> form = new org.springframework.util.LinkedMultiValueMap<>();
        form.add("file", ApiClient.filePart(source, "study.dcm",
                org.springframework.http.MediaType.parseMediaType("application/dicom")));
        ApiClient.Answer uploaded = api.post("/api/v1/images", form, ApiClient.header("Prefer", "wait=120"));
        assertThat(uploaded.status()).isEqualTo(201);
        JsonNode prediction = uploaded.body().path("images").path(0).path("predictions").path(0);

        Map<String, String> orthancStudies = new LinkedHashMap<>();
        String srInstance = null;
        for (String object : List.of("dicom-sr", "dicom-sc")) {
            ApiClient.BytesAnswer built = api.getBytes("/api/v1/predictions/" + prediction.path("id").asString()
                    + "/" + object, ApiClient.header("Accept", "application/dicom"));
            assertThat(built.status()).as(object).isEqualTo(200);
            HttpResponse<String> stored = orthanc.post("/instances", "application/dicom", built.body());
            assertThat(stored.statusCode()).as("Orthanc POST /instances of the " + object + ": " + stored.body())
                    .isEqualTo(200);
            JsonNode answer = JSON.readTree(stored.body());
            assertThat(answer.path("Status").asString()).as(object).isEqualTo("Success");
            orthancStudies.put(object, answer.path("ParentStudy").asString());
            if (object.equals("dicom-sr")) {
                srInstance = answer.path("ID").asString();
            }
        }
        for (String orthancStudy : orthancStudies.values()) {
            JsonNode tags = JSON.readTree(orthanc.get("/studies/" + orthancStudy).body()).path("MainDicomTags");
            assertThat(tags.path("StudyInstanceUID").asString()).isEqualTo(study);
        }
        assertThat(orthancStudies.get("dicom-sr")).isEqualTo(orthancStudies.get("dicom-sc")).isNotEqualTo(sourceStudy);

        // The SR's content as Orthanc holds it: every class probability, as stored.
        Map<String, String> numbers = Orthanc.srNumbers(orthanc.json("/instances/" + srInstance + "/tags?simplify"));
        for (int k = 0; k < 4; k++) {
            assertThat(numbers).as("NUM items read back from Orthanc").containsKey("CVX" + k + "P");
            assertThat(Double.parseDouble(numbers.get("CVX" + k + "P")))
                    .isCloseTo(prediction.path("probabilities").path("CVX" + k).asDouble(),
                            org.assertj.core.data.Offset.offset(1e-6));
        }
    }
}
