package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.LinkedMultiValueMap;
import tools.jackson.databind.JsonNode;

/**
 * Images uploaded over REST (with a subject) and over STOW-RS, with known accession numbers and UIDs, are found
 * by each identifier through POST /api/v1/images/search, and their study through POST /api/v1/studies/lookup;
 * neither the access log nor the audit trail holds any identifier value afterwards.
 */
@ChestlensIntegrationTest
class HospitalLookupTest {

    private static final String BOUNDARY = "lookup-test";

    @LocalServerPort
    int port;
    @Autowired
    JdbcClient jdbc;

    @Test
    void imagesAreFoundByEachHospitalIdentifierAndTheIdentifiersStayOutOfLogsAndAudit() throws Exception {
        ApiClient api = new ApiClient(port);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String study = StudyInstances.newUid();
        String restSeries = StudyInstances.newUid();
        String restSop = StudyInstances.newUid();
        String restAccession = "ACC-R-" + run;
        String subject = "Patient/lookup-" + run;
        String stowSeries = StudyInstances.newUid();
        String stowSop = StudyInstances.newUid();
        String stowAccession = "ACC-S-" + run;

        LinkedMultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
        form.add("file", ApiClient.filePart(StudyInstances.instance(study, restSeries, restSop, restAccession),
                "a.dcm", MediaType.parseMediaType("application/dicom")));
        form.add("subject", subject);
        ApiClient.Answer rest = api.post("/api/v1/images", form, ApiClient.header("Prefer", "wait=60"));
        assertThat(rest.status()).isEqualTo(201);
        String restImage = rest.body().path("images").path(0).path("id").asString();
        ApiClient.Answer stow = api.post("/dicomweb/studies", StudyInstances.contentType(BOUNDARY),
                StudyInstances.multipartRelated(BOUNDARY,
                        StudyInstances.instance(study, stowSeries, stowSop, stowAccession)));
        assertThat(stow.status()).isEqualTo(200);
        String stowImage = awaitImageBySop(api, stowSop);

        assertThat(found(api, Map.of("accessionNumber", restAccession))).containsExactly(restImage);
        assertThat(found(api, Map.of("accessionNumber", stowAccession))).containsExactly(stowImage);
        assertThat(found(api, Map.of("studyInstanceUid", study))).containsExactly(stowImage, restImage);
        assertThat(found(api, Map.of("seriesInstanceUid", restSeries))).containsExactly(restImage);
        assertThat(found(api, Map.of("seriesInstanceUid", stowSeries))).containsExactly(stowImage);
        assertThat(found(api, Map.of("sopInstanceUid", restSop))).containsExactly(restImage);
        assertThat(found(api, Map.of("subject", subject))).containsExactly(restImage);
        assertThat(found(api, Map.of("studyInstanceUid", study, "accessionNumber", stowAccession)))
                .as("every identifier given must match").containsExactly(stowImage);
        assertThat(found(api, Map.of("accessionNumber", "ACC-NONE-" + run))).isEmpty();

        // Paged like the other lists: one per page, the cursor leads to the second.
        JsonNode first = api.postJson("/api/v1/images/search", Map.of("studyInstanceUid", study, "limit", 1)).body();
        assertThat(first.path("items")).hasSize(1);
        JsonNode second = api.postJson("/api/v1/images/search", Map.of("studyInstanceUid", study, "limit", 1,
                "cursor", first.path("nextCursor").asString())).body();
        assertThat(second.path("items").path(0).path("id").asString()).isEqualTo(restImage);
        assertThat(second.has("nextCursor")).isFalse();

        JsonNode studyView = api.postJson("/api/v1/studies/lookup", Map.of("studyInstanceUid", study)).body();
        assertThat(studyView.path("images")).hasSize(2);
        JsonNode summary = studyView.path("summaries").path(0);
        assertThat(summary.path("scoredImages").asInt()).isEqualTo(2);
        List<Double> cvx0 = new ArrayList<>();
        studyView.path("images").forEach(i -> cvx0.add(i.path("predictions").path(0).path("probabilities")
                .path("CVX0").asDouble()));
        assertThat(summary.path("highestProbabilities").path("CVX0").asDouble())
                .isEqualTo(Math.max(cvx0.get(0), cvx0.get(1)));
        assertThat(summary.path("mostLikelyClass").path("code").asString()).startsWith("CVX");

        ApiClient.Answer none = api.postJson("/api/v1/images/search", Map.of("limit", 5));
        assertThat(none.status()).isEqualTo(400);
        assertThat(none.body().path("type").asString()).isEqualTo("urn:chestlens:problem:invalid-search");
        ApiClient.Answer nul = api.postJson("/api/v1/images/search", Map.of("accessionNumber", "ACC\u0000"));
        assertThat(nul.status()).isEqualTo(400);
        assertThat(nul.body().path("detail").asString()).contains("NUL").doesNotContain("ACC");
        assertThat(api.postJson("/api/v1/studies/lookup", Map.of("studyInstanceUid", "1.2.3." + run.hashCode()))
                .status()).isEqualTo(404);

        // What searches left behind: rows naming our ids, never the values searched for.
        List<String> secrets = List.of(study, restSeries, restSop, restAccession, subject, stowSeries, stowSop,
                stowAccession);
        List<String> auditRows = jdbc.sql("""
                        SELECT concat_ws(' ', action, http_method, resource, array_to_string(resource_ids, ' '))
                        FROM audit_event WHERE action IN ('image.search', 'study.read')
                          AND occurred_at > now() - interval '10 minutes'""").query(String.class).list();
        assertThat(auditRows).isNotEmpty().anySatisfy(row -> assertThat(row).contains(restImage).contains(stowImage));
        for (String secret : secrets) {
            assertThat(auditRows).as("audit rows").noneMatch(row -> row.contains(secret));
            assertThat(jdbc.sql("SELECT count(*) FROM audit_event WHERE array_to_string(resource_ids, ' ') LIKE :v "
                    + "OR resource LIKE :v").param("v", "%" + secret + "%").query(Long.class).single())
                    .as("any audit row").isZero();
        }
        String accessLog = accessLog();
        assertThat(accessLog).contains("POST /api/v1/images/search").contains("POST /api/v1/studies/lookup");
        for (String secret : secrets) {
            assertThat(accessLog).as("access log").doesNotContain(secret);
        }
    }

    private static List<String> found(ApiClient api, Map<String, Object> body) {
        ApiClient.Answer answer = api.postJson("/api/v1/images/search", body);
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        answer.body().path("items").forEach(i -> ids.add(i.path("id").asString()));
        return ids;
    }

    /** The STOW-RS instance once scored: its store answer does not wait for the score. */
    private static String awaitImageBySop(ApiClient api, String sop) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            JsonNode items = api.postJson("/api/v1/images/search", Map.of("sopInstanceUid", sop)).body().path("items");
            if (items.size() == 1 && "DONE".equals(items.path(0).path("status").asString())) {
                return items.path(0).path("id").asString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the STOW-RS instance was not scored within 60 s");
    }

    private static String accessLog() throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(Path.of("target/access-log"))) {
            for (Path file : files.toList()) {
                all.append(Files.readString(file));
            }
        }
        return all.toString();
    }
}
