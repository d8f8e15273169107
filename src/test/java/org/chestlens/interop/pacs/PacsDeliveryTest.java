package org.chestlens.interop.pacs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.chestlens.interop.Orthanc;
import org.chestlens.interop.StudyInstances;
import org.chestlens.platform.security.Role;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The results go back into the PACS, end to end with two real Orthancs: the hospital's PACS holds a study and
 * pushes it here with its DICOMweb STOW-RS client; once scored, the outbox sends the SR and the heat-map
 * Secondary Capture back to it by STOW-RS (its DICOMweb plugin), and to a second Orthanc, an archive, by
 * C-STORE to its DICOM port. Both file them into the very study (same patient, same Study Instance UID): the
 * source header's patient module travelled sealed in the outbox rows. A third destination is down: its row
 * holds the module only sealed while it is pending, and drops it when it gives up. Afterwards no table (a
 * pg_dump of the test database), no API answer and no log line holds the fixture's patient identity.
 */
@ChestlensIntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class PacsDeliveryTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String KEY = newKey();
    private static Orthanc pacs;
    private static Orthanc archive;

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    PatientModuleSeal seal;

    /** The Orthancs start before the service: its destinations (and Orthanc's STOW-RS client) need the ports. */
    @DynamicPropertySource
    static void destinations(DynamicPropertyRegistry registry) throws Exception {
        int servicePort = Orthanc.freePort();
        int archiveDicomPort = Orthanc.freePort();
        int closed = Orthanc.freePort();
        Map<String, Object> server = Map.of("Url", "http://127.0.0.1:" + servicePort + "/dicomweb/",
                "HttpHeaders", Map.of("Authorization", "Bearer "
                        + TestSecurity.token("orthanc-router", Role.SUBMITTER)));
        pacs = Orthanc.start(Map.of("DicomWeb", Map.of("Enable", true, "Servers", Map.of("chestlens", server))));
        archive = Orthanc.start(Map.of("DicomServerEnabled", true, "DicomAet", "ARCHIVE",
                "DicomPort", archiveDicomPort));
        registry.add("server.port", () -> servicePort);
        registry.add("chestlens.pacs.patient-module-key", () -> KEY);
        registry.add("chestlens.pacs.poll-interval", () -> "500ms");
        registry.add("chestlens.pacs.backoff-base", () -> "2s");
        registry.add("chestlens.pacs.backoff-max", () -> "2s");
        registry.add("chestlens.pacs.max-attempts", () -> "3");
        String d = "chestlens.pacs.destinations";
        registry.add(d + "[0].name", () -> "pacs");
        registry.add(d + "[0].protocol", () -> "STOW_RS");
        registry.add(d + "[0].url", () -> pacs.url() + "/dicom-web/studies");
        registry.add(d + "[0].secondary-capture", () -> "true");
        registry.add(d + "[1].name", () -> "archive");
        registry.add(d + "[1].protocol", () -> "C_STORE");
        registry.add(d + "[1].host", () -> "127.0.0.1");
        registry.add(d + "[1].port", () -> archiveDicomPort);
        registry.add(d + "[1].called-ae-title", () -> "ARCHIVE");
        registry.add(d + "[1].secondary-capture", () -> "true");
        registry.add(d + "[2].name", () -> "down");
        registry.add(d + "[2].protocol", () -> "STOW_RS");
        registry.add(d + "[2].url", () -> "http://127.0.0.1:" + closed + "/dicom-web/studies");
        registry.add(d + "[2].authorization", () -> "Bearer not-for-logs");
    }

    @AfterAll
    static void stopOrthancs() throws Exception {
        try (Orthanc a = pacs; Orthanc b = archive) {
            // closed in reverse order
        }
    }

    @Test
    void aStudyPushedByOrthancComesBackAsSrAndScIntoTheSameStudyByStowRsAndCStore(CapturedOutput output)
            throws Exception {
        String study = StudyInstances.newUid();
        String sop = StudyInstances.newUid();
        HttpResponse<String> stored = pacs.post("/instances", "application/dicom",
                StudyInstances.instance(study, StudyInstances.newUid(), sop, "ACC-PACS-OUT"));
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
        String sourceStudy = JSON.readTree(stored.body()).path("ParentStudy").asString();

        HttpResponse<String> push = pacs.post("/dicom-web/servers/chestlens/stow", "application/json",
                JSON.writeValueAsString(Map.of("Resources", List.of(sourceStudy), "Synchronous", true))
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(push.statusCode()).as("Orthanc STOW-RS push: " + push.body() + "\n" + pacs.logTail())
                .isEqualTo(200);
        UUID image = jdbc.sql("SELECT id FROM image WHERE sop_instance_uid = :sop").param("sop", sop)
                .query(UUID.class).single();

        // While the down destination's row is pending, it holds the patient module, sealed: the bytes do not
        // contain it, and they open (with the key, for this row only) to exactly the source header's module.
        Map<String, Object> down = jdbc.sql("""
                        SELECT id, status, patient_module FROM pacs_delivery WHERE image_id = :image
                        AND destination = 'down'""").param("image", image).query().singleRow();
        assertThat(down.get("status")).isIn("WAITING", "PENDING");
        byte[] sealed = (byte[]) down.get("patient_module");
        assertThat(sealed).isNotNull();
        for (String identity : TestImages.FIXTURE_PATIENT_IDENTITY) {
            assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain(identity);
        }
        assertThat(seal.open(sealed, (UUID) down.get("id")))
                .contains(new PatientModule("Doe^Jane", "PID-TEST-0001", "19700101", "F"));
        assertThat(seal.open(sealed, UUID.randomUUID())).as("sealed for its own row only").isEmpty();

        // Every object reaches its destination once; the down destination gives up after its attempts.
        awaitSettled(image, 5);
        ApiClient admin = new ApiClient(port);
        JsonNode prediction = admin.get("/api/v1/images/" + image).body().path("predictions").path(0);
        Map<String, String> statuses = new LinkedHashMap<>();
        for (String destination : List.of("pacs", "archive", "down")) {
            ApiClient.Answer page = admin.get("/api/v1/pacs/destinations/" + destination + "/deliveries?limit=200");
            assertThat(page.status()).isEqualTo(200);
            for (JsonNode item : page.body().path("items")) {
                if (item.path("imageId").asString().equals(image.toString())) {
                    statuses.put(destination + "/" + item.path("objectType").asString(), item.path("status").asString()
                            + " " + item.path("attemptLog").path(item.path("attempts").asInt() - 1).path("status")
                            .asString(null) + " sealed=" + item.path("patientModuleSealed").asBoolean());
                    assertThat(item.path("predictionId").asString()).isEqualTo(prediction.path("id").asString());
                }
            }
        }
        assertThat(statuses).containsExactlyInAnyOrderEntriesOf(Map.of(
                "pacs/SR", "DELIVERED HTTP 200 sealed=false", "pacs/SC", "DELIVERED HTTP 200 sealed=false",
                "archive/SR", "DELIVERED DIMSE 0x0000 sealed=false", "archive/SC", "DELIVERED DIMSE 0x0000 sealed=false",
                "down/SR", "FAILED null sealed=false"));

        // The PACS filed both into the source's own study resource (same patient, same study).
        JsonNode instances = pacs.json("/studies/" + sourceStudy + "/instances");
        List<String> classes = new ArrayList<>();
        String srInstance = null;
        for (JsonNode instance : instances) {
            String sopClass = pacs.json("/instances/" + instance.path("ID").asString() + "/simplified-tags")
                    .path("SOPClassUID").asString();
            classes.add(sopClass);
            if (sopClass.equals("1.2.840.10008.5.1.4.1.1.88.33")) {
                srInstance = instance.path("ID").asString();
            }
        }
        assertThat(classes).containsExactlyInAnyOrder("1.2.840.10008.5.1.4.1.1.1.1", "1.2.840.10008.5.1.4.1.1.88.33",
                "1.2.840.10008.5.1.4.1.1.7");
        Map<String, String> numbers = Orthanc.srNumbers(pacs.json("/instances/" + srInstance + "/tags?simplify"));
        for (int k = 0; k < 4; k++) {
            assertThat(Double.parseDouble(numbers.get("CVX" + k + "P"))).as("CVX" + k + " read back from Orthanc")
                    .isCloseTo(prediction.path("probabilities").path("CVX" + k).asDouble(), within(1e-6));
        }
        // The archive got them by C-STORE, under the source's patient.
        JsonNode archived = archive.json("/studies?expand");
        assertThat(archived).hasSize(1);
        assertThat(archived.path(0).path("MainDicomTags").path("StudyInstanceUID").asString()).isEqualTo(study);
        assertThat(archived.path(0).path("PatientMainDicomTags").path("PatientID").asString())
                .isEqualTo("PID-TEST-0001");
        assertThat(archive.json("/studies/" + archived.path(0).path("ID").asString() + "/instances")).hasSize(2);

        // The admin API: destinations without credentials, for administrators only; a re-send goes again.
        ApiClient.Answer destinations = admin.get("/api/v1/pacs/destinations");
        assertThat(destinations.status()).isEqualTo(200);
        assertThat(destinations.body().toString()).doesNotContain("not-for-logs");
        assertThat(destinations.body().path(2).path("authorization").asBoolean()).isTrue();
        assertThat(new ApiClient(port, TestSecurity.roles(Role.READER)).get("/api/v1/pacs/destinations").status())
                .isEqualTo(403);
        UUID archivedSr = jdbc.sql("""
                        SELECT id FROM pacs_delivery WHERE image_id = :image AND destination = 'archive'
                        AND object_type = 'SR'""").param("image", image).query(UUID.class).single();
        ApiClient.Answer resend = admin.postJson("/api/v1/pacs/deliveries/" + archivedSr + "/resend", Map.of());
        assertThat(resend.status()).isEqualTo(202);
        awaitSettled(image, 5);
        JsonNode resent = admin.get("/api/v1/pacs/deliveries/" + archivedSr).body();
        assertThat(resent.path("attempts").asInt()).isEqualTo(2);
        assertThat(resent.path("attemptLog").path(1).path("status").asString()).isEqualTo("DIMSE 0x0000");

        // The admin answers as the contract's examples (openapi/capture_examples.py takes them from a running
        // service with a destination; this is one).
        Map<String, Object> examples = new LinkedHashMap<>();
        examples.put("GET /api/v1/pacs/destinations", destinations.body());
        examples.put("GET /api/v1/pacs/destinations/{name}/deliveries",
                admin.get("/api/v1/pacs/destinations/pacs/deliveries?limit=2").body());
        examples.put("GET /api/v1/pacs/deliveries/{id}", resent);
        examples.put("POST /api/v1/pacs/deliveries/{id}/resend", resend.body());
        Files.createDirectories(Path.of("target/pacs"));
        Files.writeString(Path.of("target/pacs/admin-answers.json"), JSON.writeValueAsString(examples));

        // No identity anywhere here: every table, the API's answers, the log.
        String dump = pgDump();
        assertThat(dump).contains(sop);
        for (String identity : List.of("Doe^Jane", "PID-TEST-0001", "19700101")) {
            assertThat(dump).as("the database containing " + identity).doesNotContain(identity);
            assertThat(statuses.toString() + destinations.body() + resent + resend.body() + prediction)
                    .as("API answers containing " + identity).doesNotContain(identity);
            assertThat(output.getAll()).as("logs containing " + identity).doesNotContain(identity);
        }
        assertThat(output.getAll()).doesNotContain("not-for-logs");
    }

    private void awaitSettled(UUID image, int rows) throws InterruptedException {
        String sql = "SELECT count(*) FROM pacs_delivery WHERE image_id = :image AND status IN ('DELIVERED', 'FAILED')";
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (jdbc.sql(sql).param("image", image).query(Long.class).single() < rows && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(jdbc.sql(sql).param("image", image).query(Long.class).single()).as("settled deliveries")
                .isEqualTo(rows);
    }

    /** The data of every table in the test database, as pg_dump writes it. */
    private static String pgDump() throws Exception {
        URI url = URI.create(System.getenv().getOrDefault("TEST_DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/test")
                .substring("jdbc:".length()));
        ProcessBuilder builder = new ProcessBuilder("pg_dump", "--data-only", "--no-owner",
                "-h", url.getHost(), "-p", Integer.toString(url.getPort() < 0 ? 5432 : url.getPort()),
                "-U", System.getenv().getOrDefault("TEST_DATABASE_USER", "postgres"), url.getPath().substring(1));
        builder.environment().put("PGPASSWORD", System.getenv().getOrDefault("TEST_DATABASE_PASSWORD", ""));
        Process dump = builder.redirectErrorStream(true).start();
        byte[] out = dump.getInputStream().readAllBytes();
        assertThat(dump.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(dump.exitValue()).as(new String(out, StandardCharsets.UTF_8)).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    private static String newKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
