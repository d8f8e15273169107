package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@ChestlensIntegrationTest
class LabelApiTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    ApiClient api;

    @BeforeEach
    void clients() {
        api = new ApiClient(port);
    }

    private String newImage(long seed) {
        Answer answer = api.upload(ApiClient.header("Prefer", "respond-async"), TestImages.syntheticPng(seed, 300, 320));
        assertThat(answer.status()).isIn(200, 202);
        return answer.body().path("images").path(0).path("id").asString();
    }

    private Answer send(String method, String path, MediaType type, String body) {
        return api.send(HttpMethod.valueOf(method), path, new HttpHeaders(), type, body);
    }

    private long storedLabels(String imageId) {
        return jdbc.sql("SELECT count(*) FROM image_label WHERE image_id = :id")
                .param("id", UUID.fromString(imageId)).query(Long.class).single();
    }

    @Test
    void referenceAndReaderLabelsAreStoredAndARelabelKeepsThePreviousValue() {
        String image = newImage(1);
        Answer created = send("PUT", "/api/v1/images/" + image + "/labels/reference", MediaType.APPLICATION_JSON,
                "{\"label\": 1, \"labelledBy\": \"consensus of 3 radiologists\"}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.body().path("reference").path("label").asInt()).isEqualTo(1);
        assertThat(created.body().path("reference").path("code").asString()).isEqualTo("CVX1");
        assertThat(created.body().path("reference").has("reader")).isFalse();

        assertThat(send("PUT", "/api/v1/images/" + image + "/labels/readers/r1", MediaType.APPLICATION_JSON,
                "{\"label\": 2, \"comment\": \"faint upper-zone opacity\"}").status()).isEqualTo(201);
        assertThat(send("PUT", "/api/v1/images/" + image + "/labels/readers/r2", MediaType.APPLICATION_JSON,
                "{\"label\": 1}").status()).isEqualTo(201);
        Answer relabelled = send("PUT", "/api/v1/images/" + image + "/labels/readers/r1", MediaType.APPLICATION_JSON,
                "{\"label\": 1, \"comment\": \"on second look, bilateral\"}");
        assertThat(relabelled.status()).isEqualTo(200);

        Answer labels = api.get("/api/v1/images/" + image + "/labels");
        assertThat(labels.status()).isEqualTo(200);
        JsonNode body = labels.body();
        assertThat(body.path("imageId").asString()).isEqualTo(image);
        assertThat(body.path("reference").path("labelledBy").asString()).isEqualTo("consensus of 3 radiologists");
        assertThat(body.path("readers")).hasSize(2);
        assertThat(body.path("readers").path(0).path("reader").asString()).isEqualTo("r1");
        assertThat(body.path("readers").path(0).path("label").asInt()).isEqualTo(1);
        assertThat(body.path("readers").path(0).path("comment").asString()).isEqualTo("on second look, bilateral");
        assertThat(body.path("history")).hasSize(1);
        JsonNode previous = body.path("history").path(0);
        assertThat(previous.path("reader").asString()).isEqualTo("r1");
        assertThat(previous.path("label").asInt()).isEqualTo(2);
        assertThat(previous.path("comment").asString()).isEqualTo("faint upper-zone opacity");
        assertThat(previous.path("replacedAt").asString()).isNotBlank();
        assertThat(storedLabels(image)).isEqualTo(3);
    }

    @Test
    void badInputIsAProblemAndStoresNothing() {
        String image = newImage(2);
        Answer unknown = send("PUT", "/api/v1/images/" + UUID.randomUUID() + "/labels/reference",
                MediaType.APPLICATION_JSON, "{\"label\": 1}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.contentType()).startsWith("application/problem+json");
        assertThat(api.get("/api/v1/images/" + UUID.randomUUID() + "/labels").status()).isEqualTo(404);

        for (String bad : new String[] {"{\"label\": 4}", "{\"label\": -1}", "{}", "{\"label\": \"CVX1\"}", "not json"}) {
            Answer answer = send("PUT", "/api/v1/images/" + image + "/labels/reference", MediaType.APPLICATION_JSON, bad);
            assertThat(answer.status()).as(bad).isEqualTo(400);
            assertThat(answer.contentType()).as(bad).startsWith("application/problem+json");
        }
        Answer badReader = send("PUT", "/api/v1/images/" + image + "/labels/readers/r%201",
                MediaType.APPLICATION_JSON, "{\"label\": 1}");
        assertThat(badReader.status()).isEqualTo(400);
        assertThat(storedLabels(image)).isZero();
    }

    @Test
    void withinOneBatchTheLastLabelWinsAndOnlyStoredValuesGoToTheHistory() {
        String a = newImage(11);
        String b = newImage(12);
        assertThat(send("PUT", "/api/v1/images/" + a + "/labels/reference", MediaType.APPLICATION_JSON,
                "{\"label\": 0}").status()).isEqualTo(201);

        Answer batch = send("POST", "/api/v1/labels", MediaType.APPLICATION_JSON, """
                {"labels": [{"image": "%s", "label": 1}, {"image": "%s", "label": 2},
                            {"image": "%s", "label": 3}, {"image": "%s", "reader": "r1", "label": 2}]}"""
                .formatted(a, b, a, a));

        assertThat(batch.status()).as(batch.body().toString()).isEqualTo(200);
        // a's reference replaced the stored 0, then its 3 replaced its 1; b's and a's reader label are new.
        assertThat(batch.body().path("stored").asInt()).isEqualTo(4);
        assertThat(batch.body().path("replaced").asInt()).isEqualTo(2);
        JsonNode labelsOfA = api.get("/api/v1/images/" + a + "/labels").body();
        assertThat(labelsOfA.path("reference").path("label").asInt()).isEqualTo(3);
        assertThat(labelsOfA.path("readers")).singleElement()
                .satisfies(reader -> assertThat(reader.path("label").asInt()).isEqualTo(2));
        assertThat(labelsOfA.path("history")).singleElement()
                .satisfies(old -> assertThat(old.path("label").asInt()).isZero());
        assertThat(api.get("/api/v1/images/" + b + "/labels").body().path("reference").path("label").asInt())
                .isEqualTo(2);
    }

    @Test
    void twoImportsOfTheSameNewLabelsInOppositeOrdersBothSucceed() throws Exception {
        String a = newImage(14);
        String b = newImage(15);
        List<String> entries = new ArrayList<>();
        for (int reader = 0; reader < 5000; reader++) {
            for (String image : List.of(a, b)) {
                entries.add("{\"image\": \"" + image + "\", \"reader\": \"d" + reader + "\", \"label\": 1}");
            }
        }
        String ascending = "{\"labels\": [" + String.join(",", entries) + "]}";
        Collections.reverse(entries);
        String descending = "{\"labels\": [" + String.join(",", entries) + "]}";

        // Inserted in the order given, the two took each other's next row and PostgreSQL aborted one (500).
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try {
            Future<Answer> up = clients.submit(() -> send("POST", "/api/v1/labels", MediaType.APPLICATION_JSON, ascending));
            Future<Answer> down = clients.submit(() -> send("POST", "/api/v1/labels", MediaType.APPLICATION_JSON, descending));
            assertThat(up.get(2, TimeUnit.MINUTES).status()).as(up.get().body().toString()).isEqualTo(200);
            assertThat(down.get(2, TimeUnit.MINUTES).status()).as(down.get().body().toString()).isEqualTo(200);
        } finally {
            clients.shutdownNow();
        }
        assertThat(storedLabels(a) + storedLabels(b)).isEqualTo(10_000);
    }

    @Test
    void anImportIsReadNoFurtherThanItsLimitOfLabels() {
        // Entries past 100 000 are refused while the list is read (not after millions were built), good or bad.
        String tooMany = "{\"labels\": [" + "{},".repeat(LabelBatch.MAX_LABELS) + "{}]}";
        Answer json = send("POST", "/api/v1/labels", MediaType.APPLICATION_JSON, tooMany);
        assertThat(json.status()).isEqualTo(400);
        assertThat(json.body().path("type").asString()).isEqualTo("urn:chestlens:problem:invalid-body");

        Answer csv = send("POST", "/api/v1/labels", MediaType.parseMediaType("text/csv"),
                "series,final_label\n" + "x,9\n".repeat(LabelBatch.MAX_LABELS + 1));
        assertThat(csv.status()).isEqualTo(400);
        assertThat(csv.body().path("detail").asString()).contains("At most 100000 labels");

        Answer bad = send("POST", "/api/v1/labels", MediaType.parseMediaType("text/csv"),
                "series,final_label\n" + "x,9\n".repeat(1000));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().path("detail").asString()).startsWith("1000 row(s)");
        assertThat(bad.body().path("rows").size()).isLessThan(1000);
    }

    @Test
    void theHistoryShowsItsNewest100AndCountsTheRest() {
        String image = newImage(13);
        for (int i = 0; i <= 105; i++) {
            assertThat(send("PUT", "/api/v1/images/" + image + "/labels/reference", MediaType.APPLICATION_JSON,
                    "{\"label\": " + i % 4 + ", \"comment\": \"pass " + i + "\"}").status()).isIn(200, 201);
        }

        JsonNode labels = api.get("/api/v1/images/" + image + "/labels").body();
        assertThat(labels.path("reference").path("comment").asString()).isEqualTo("pass 105");
        assertThat(labels.path("historyTotal").asLong()).isEqualTo(105);
        assertThat(labels.path("history")).hasSize(100);
        assertThat(labels.path("history").path(0).path("comment").asString()).isEqualTo("pass 104");
        assertThat(labels.path("history").path(99).path("comment").asString()).isEqualTo("pass 5");
    }

    @Test
    void aJsonBatchIsAllOrNothing() {
        String a = newImage(3);
        String b = newImage(4);
        String missing = UUID.randomUUID().toString();
        Answer refused = send("POST", "/api/v1/labels", MediaType.APPLICATION_JSON, """
                {"labels": [{"image": "%s", "label": 0}, {"image": "%s", "label": 3},
                            {"image": "%s", "reader": "r1", "label": 2}]}""".formatted(a, missing, b));
        assertThat(refused.status()).isEqualTo(404);
        assertThat(refused.body().path("unknownImages").path(0).asString()).isEqualTo(missing);
        assertThat(storedLabels(a) + storedLabels(b)).isZero();

        Answer badClass = send("POST", "/api/v1/labels", MediaType.APPLICATION_JSON, """
                {"labels": [{"image": "%s", "label": 0}, {"image": "%s", "label": 7}]}""".formatted(a, b));
        assertThat(badClass.status()).isEqualTo(400);
        assertThat(storedLabels(a) + storedLabels(b)).isZero();

        Answer stored = send("POST", "/api/v1/labels", MediaType.APPLICATION_JSON, """
                {"labels": [{"image": "%s", "label": 0}, {"image": "%s", "label": 3},
                            {"image": "%s", "reader": "r1", "label": 2, "comment": "effusion?"}]}""".formatted(a, b, b));
        assertThat(stored.status()).isEqualTo(200);
        assertThat(stored.body().path("stored").asInt()).isEqualTo(3);
        assertThat(stored.body().path("replaced").asInt()).isZero();
        assertThat(api.get("/api/v1/images/" + b + "/labels").body().path("readers").path(0).path("comment").asString())
                .isEqualTo("effusion?");
    }

    @Test
    void innerEyeDatasetCsvSetsReferenceOrReaderLabelsByImageIdOrSopInstanceUid() throws Exception {
        String png = newImage(5);
        MultiValueMap<String, Object> body = new LinkedMultiValueMap<>();
        body.add("file", ApiClient.filePart(Files.readAllBytes(Path.of("src/test/resources/dicom/explicit-le.dcm")),
                "study.dcm", MediaType.parseMediaType("application/dicom")));
        HttpHeaders async = ApiClient.header("Prefer", "respond-async");
        JsonNode dicomImage = api.post("/api/v1/images", body, async).body().path("images").path(0);
        String dicom = dicomImage.path("id").asString();
        String sopInstanceUid = dicomImage.path("dicom").path("sopInstanceUid").asString();
        assertThat(sopInstanceUid).isNotBlank();

        String csv = """
                series,subject,filepath,final_label
                %s,P1,png16/a.png,2
                %s,P2,"dicom/b,with comma.dcm",3
                """.formatted(png, sopInstanceUid);
        Answer reference = send("POST", "/api/v1/labels", MediaType.parseMediaType("text/csv"), csv);
        assertThat(reference.status()).isEqualTo(200);
        assertThat(reference.body().path("stored").asInt()).isEqualTo(2);
        Answer asReader = send("POST", "/api/v1/labels?reader=sim-reader-1", MediaType.parseMediaType("text/csv"), csv);
        assertThat(asReader.status()).isEqualTo(200);
        Answer again = send("POST", "/api/v1/labels", MediaType.parseMediaType("text/csv"), csv);
        assertThat(again.body().path("replaced").asInt()).isEqualTo(2);

        JsonNode labels = api.get("/api/v1/images/" + dicom + "/labels").body();
        assertThat(labels.path("reference").path("label").asInt()).isEqualTo(3);
        assertThat(labels.path("readers").path(0).path("reader").asString()).isEqualTo("sim-reader-1");
        assertThat(api.get("/api/v1/images/" + png + "/labels").body().path("reference").path("code").asString())
                .isEqualTo("CVX2");

        String other = newImage(6);
        for (String bad : new String[] {
                "series,final_label\n" + other + ",9\n",
                "series,label\n" + other + ",1\n",
                "series,final_label\n",
                "series,final_label\n" + UUID.randomUUID() + ",1\n"}) {
            Answer answer = send("POST", "/api/v1/labels", MediaType.parseMediaType("text/csv"), bad);
            assertThat(answer.status()).as(bad).isIn(400, 404);
            assertThat(answer.contentType()).as(bad).startsWith("application/problem+json");
        }
        assertThat(storedLabels(other)).isZero();
    }
}
