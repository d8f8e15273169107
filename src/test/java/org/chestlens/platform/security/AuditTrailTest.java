package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;

/** Every access to an image, its prediction and its labels leaves a row: who, what, from where, outcome. */
@ChestlensIntegrationTest
class AuditTrailTest {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Test
    void eachAccessIsAuditedWithoutPatientIdentity() throws IOException, InterruptedException {
        String doctor = "dr-" + UUID.randomUUID().toString().substring(0, 8);
        String student = "student-" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient clinician = new ApiClient(port, TestSecurity.bearer(
                TestSecurity.token(doctor, Role.SUBMITTER, Role.READER, Role.ANNOTATOR)));
        ApiClient readerOnly = new ApiClient(port, TestSecurity.bearer(TestSecurity.token(student, Role.READER)));

        MultiValueMap<String, Object> body = new LinkedMultiValueMap<>();
        body.add("file", ApiClient.filePart(ownInstance(), "study.dcm", MediaType.parseMediaType("application/dicom")));
        Answer uploaded = clinician.post("/api/v1/images", body, ApiClient.header("Prefer", "wait=60"));
        assertThat(uploaded.status()).isIn(200, 201);
        JsonNode image = uploaded.body().path("images").path(0);
        String imageId = image.path("id").asString();
        String predictionId = image.path("predictions").path(0).path("id").asString();

        assertThat(clinician.get("/api/v1/images/" + imageId).status()).isEqualTo(200);
        assertThat(clinician.get("/api/v1/predictions/" + predictionId).status()).isEqualTo(200);
        assertThat(clinician.putJson("/api/v1/images/" + imageId + "/labels/readers/" + doctor,
                Map.of("label", 1)).status()).isIn(200, 201);
        assertThat(clinician.get("/api/v1/images/" + imageId + "/labels").status()).isEqualTo(200);
        assertThat(clinician.postJson("/api/v1/labels", Map.of("labels", List.of(
                Map.of("image", imageId, "reader", doctor, "label", 1)))).status()).isEqualTo(200);
        assertThat(readerOnly.putJson("/api/v1/images/" + imageId + "/labels/reference", Map.of("label", 2)).status())
                .isEqualTo(403);
        assertThat(new ApiClient(port, new HttpHeaders()).get("/api/v1/images/" + imageId).status()).isEqualTo(401);
        // A percent-encoded path reaches the same endpoint, and the same trail.
        HttpResponse<String> encoded = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/%61pi/v1/images/" + imageId))
                .header("Authorization", "Bearer " + TestSecurity.token(doctor, Role.READER)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(encoded.statusCode()).isEqualTo(200);

        Answer trail = new ApiClient(port, TestSecurity.roles(Role.ADMIN))
                .get("/api/v1/audit-events?resourceId=" + imageId + "&limit=1000");
        assertThat(trail.status()).isEqualTo(200);
        List<String> rows = new ArrayList<>();
        for (JsonNode event : trail.body().path("events")) {
            assertThat(event.path("remoteAddress").asString()).isIn("127.0.0.1", "0:0:0:0:0:0:0:1");
            assertThat(event.path("occurredAt").asString()).isNotBlank();
            rows.add(event.path("actor").asString() + " " + event.path("action").asString() + " "
                    + event.path("status").asInt() + " " + event.path("outcome").asString());
        }
        assertThat(rows).contains(
                doctor + " image.upload " + uploaded.status() + " success",
                doctor + " image.read 200 success",
                doctor + " prediction.read 200 success", // named by the prediction's image id
                doctor + " label.read 200 success",
                doctor + " label.import 200 success", // a batch names each image it labelled
                student + " label.write 403 denied",
                "anonymous image.read 401 denied");
        assertThat(rows).anyMatch(row -> row.matches(doctor + " label\\.write 20[01] success"));
        assertThat(rows).filteredOn((doctor + " image.read 200 success")::equals).as("plain and percent-encoded reads")
                .hasSize(2);

        Answer byActor = new ApiClient(port, TestSecurity.roles(Role.ADMIN))
                .get("/api/v1/audit-events?actor=" + doctor + "&action=prediction.read");
        assertThat(byActor.body().path("events")).hasSize(1);
        assertThat(byActor.body().path("events").path(0).path("resourceIds").toString()).contains(predictionId, imageId);

        for (String identity : TestImages.FIXTURE_PATIENT_IDENTITY) {
            assertThat(jdbc.sql("SELECT count(*) FROM audit_event WHERE concat_ws(' ', actor, action, resource, "
                    + "resource_ids::text, remote_address) LIKE :pattern").param("pattern", "%" + identity + "%")
                    .query(Long.class).single()).as("audit rows containing " + identity).isZero();
        }
    }

    /**
     * The shared fixture with a SOP Instance UID of its own (same length, so every element length
     * stays valid): labelling it must not change the image other tests label.
     */
    private static byte[] ownInstance() throws IOException {
        byte[] file = Files.readAllBytes(Path.of("src/test/resources/dicom/explicit-le.dcm"));
        byte[] uid = "1.2.826.0.1.3680043.10.1453.3.1".getBytes(StandardCharsets.US_ASCII);
        byte[] own = ("1.2.826.0.1.3680043.10.1453." + (100 + new Random().nextInt(900)))
                .getBytes(StandardCharsets.US_ASCII);
        int replaced = 0;
        for (int i = 0; i + uid.length <= file.length; i++) {
            if (Arrays.equals(file, i, i + uid.length, uid, 0, uid.length)) {
                System.arraycopy(own, 0, file, i, own.length);
                replaced++;
            }
        }
        assertThat(replaced).isPositive();
        return file;
    }

    @Test
    void sinceAndUntilBoundWhenEventsOccurredAndABadInstantIsAProblem() throws InterruptedException {
        String actor = "clock-" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient caller = new ApiClient(port, TestSecurity.bearer(TestSecurity.token(actor, Role.READER)));
        assertThat(caller.get("/api/v1/models").status()).isEqualTo(200);
        Thread.sleep(5);
        assertThat(caller.get("/api/v1/predictions?limit=1").status()).isEqualTo(200);
        ApiClient admin = new ApiClient(port, TestSecurity.roles(Role.ADMIN));
        JsonNode both = admin.get("/api/v1/audit-events?actor=" + actor).body().path("events");
        assertThat(both).hasSize(2);
        String second = both.path(0).path("occurredAt").asString();
        String first = both.path(1).path("occurredAt").asString();
        assertThat(both.path(1).path("action").asString()).isEqualTo("model.list");

        assertThat(actions(admin, actor, "&since=" + second)).as("since is inclusive").containsExactly("prediction.list");
        assertThat(actions(admin, actor, "&until=" + second)).as("until is exclusive").containsExactly("model.list");
        assertThat(actions(admin, actor, "&since=" + first + "&until=" + second)).containsExactly("model.list");
        assertThat(actions(admin, actor, "&since=2000-01-01T00:00:00Z")).containsExactly("prediction.list", "model.list");
        assertThat(actions(admin, actor, "&until=2000-01-01T00:00:00Z")).isEmpty();

        for (String bad : List.of("since=yesterday", "until=2026-13-01T00:00:00Z", "since=1700000000000")) {
            Answer refused = admin.get("/api/v1/audit-events?" + bad);
            assertThat(refused.status()).as(bad).isEqualTo(400);
            assertThat(refused.contentType()).isEqualTo("application/problem+json");
            assertThat(refused.body().path("type").asString()).isEqualTo("urn:chestlens:problem:invalid-parameter");
        }
    }

    private static List<String> actions(ApiClient admin, String actor, String bounds) {
        Answer answer = admin.get("/api/v1/audit-events?actor=" + actor + bounds);
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        List<String> actions = new ArrayList<>();
        answer.body().path("events").forEach(event -> actions.add(event.path("action").asString()));
        return actions;
    }

    @Test
    void theTrailIsAppendOnly() {
        new ApiClient(port).get("/api/v1/models");
        assertThatThrownBy(() -> jdbc.sql("UPDATE audit_event SET actor = 'someone-else'").update())
                .hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.sql("DELETE FROM audit_event").update()).hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.sql("TRUNCATE audit_event").update()).hasMessageContaining("append-only");
    }
}
