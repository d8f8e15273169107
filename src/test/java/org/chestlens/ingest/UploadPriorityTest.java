package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.chestlens.interop.StudyInstances;
import org.chestlens.platform.security.Role;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

/**
 * Where an upload's priority comes from: the form field, {@code Prefer: priority=...} (for bodies without a
 * form), the API key's default, else routine; the job keeps it, and the queue-wait metric is kept per priority.
 */
@ChestlensIntegrationTest
class UploadPriorityTest {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Test
    void theFormFieldNamesThePriorityAndAnUnknownOneIs400() {
        ApiClient api = new ApiClient(port);
        Answer stat = api.post("/api/v1/images", form(TestImages.syntheticPng(9301, 300, 300), "stat"));
        assertThat(stat.status()).as(stat.body().toString()).isIn(201, 202);
        assertThat(priorityOf(stat)).isEqualTo("STAT");

        Answer routine = api.upload(TestImages.syntheticPng(9302, 300, 300));
        assertThat(priorityOf(routine)).as("no priority named").isEqualTo("ROUTINE");

        Answer unknown = api.post("/api/v1/images", form(TestImages.syntheticPng(9303, 300, 300), "urgent"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body().path("detail").asString()).contains("priority must be stat or routine");
    }

    @Test
    void aDicomBodyAsksForStatWithPreferAndTheAnswerSaysItWasApplied() {
        HttpHeaders prefer = ApiClient.header("Prefer", "respond-async, priority=stat");
        Answer answer = new ApiClient(port).post("/api/v1/images", "application/dicom",
                StudyInstances.instance(StudyInstances.newUid(), StudyInstances.newUid(), StudyInstances.newUid()),
                prefer);
        assertThat(answer.status()).isEqualTo(202);
        assertThat(answer.headers().getFirst("Preference-Applied")).isEqualTo("respond-async, priority=stat");
        assertThat(priorityOf(answer)).isEqualTo("STAT");
    }

    @Test
    void anApiKeysDefaultPriorityAppliesWhenTheUploadNamesNone() {
        ApiClient admin = new ApiClient(port, TestSecurity.roles(Role.ADMIN));
        Answer created = admin.postJson("/api/v1/api-keys", Map.of("name", "ed-" + UUID.randomUUID(),
                "roles", List.of("submitter", "reader"), "defaultPriority", "stat"));
        assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
        assertThat(created.body().path("apiKey").path("defaultPriority").asString()).isEqualTo("stat");
        ApiClient emergency = new ApiClient(port, TestSecurity.apiKey(created.body().path("key").asString()));

        assertThat(priorityOf(emergency.upload(TestImages.syntheticPng(9304, 300, 300)))).isEqualTo("STAT");
        assertThat(priorityOf(emergency.post("/api/v1/images", form(TestImages.syntheticPng(9305, 300, 300),
                "routine")))).as("the upload's own priority wins").isEqualTo("ROUTINE");

        Answer invalid = admin.postJson("/api/v1/api-keys", Map.of("name", "bad-" + UUID.randomUUID(),
                "roles", List.of("submitter"), "defaultPriority", "urgent"));
        assertThat(invalid.status()).isEqualTo(400);
    }

    @Test
    void queueWaitIsMeasuredPerPriority() {
        ApiClient api = new ApiClient(port);
        // Waits for the results, so the forward has run and its wait was recorded.
        HttpHeaders wait = ApiClient.header("Prefer", "wait=60");
        assertThat(api.post("/api/v1/images", form(TestImages.syntheticPng(9306, 300, 300), "stat"), wait).status())
                .isEqualTo(201);
        assertThat(api.upload(wait, TestImages.syntheticPng(9307, 300, 300)).status()).isEqualTo(201);
        String prometheus = api.getText("/actuator/prometheus", new HttpHeaders()).body();
        assertThat(prometheus).containsPattern("chestlens_inference_queue_wait_seconds_count\\{[^}]*priority=\"stat\"")
                .containsPattern("chestlens_inference_queue_wait_seconds_count\\{[^}]*priority=\"routine\"");
    }

    private String priorityOf(Answer upload) {
        String image = upload.body().path("images").path(0).path("id").asString();
        return jdbc.sql("SELECT priority FROM inference_job WHERE image_id = :id::uuid").param("id", image)
                .query(String.class).single();
    }

    private static MultiValueMap<String, Object> form(byte[] png, String priority) {
        MultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
        form.add("file", ApiClient.filePart(png, "film.png", MediaType.IMAGE_PNG));
        form.add("priority", priority);
        return form;
    }
}
