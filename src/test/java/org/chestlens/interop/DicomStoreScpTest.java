package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.StoreScu;
import org.chestlens.TestSecurity;
import org.chestlens.platform.security.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * The C-STORE receiver against dcmtk's storescu: a study sent in one association is scored instance by
 * instance, an instance sent twice is one image with one prediction, the audit trail names the calling AE
 * title, other AE titles are rejected, and an association that stalls is dropped.
 */
@ChestlensIntegrationTest
class DicomStoreScpTest {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    StorageScp scp;

    @Test
    void storescuSendsAStudyAndEveryInstanceIsScoredOnceEvenWhenSentTwice(@TempDir Path dir) throws Exception {
        String study = StudyInstances.newUid();
        String series = StudyInstances.newUid();
        List<String> sops = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String sop = StudyInstances.newUid();
            sops.add(sop);
            Path file = dir.resolve("instance-" + i + ".dcm");
            Files.write(file, StudyInstances.instance(study, series, sop));
            files.add(file);
        }
        files.add(files.get(0)); // the first instance again, in the same association
        long auditBefore = auditRows("STORESCU", "success");

        StoreScu.Result sent = StoreScu.send(scp.state().port(), "STORESCU", "CHESTLENS", files);

        assertThat(sent.statuses()).as(sent.output()).containsExactly(0, 0, 0, 0);
        assertThat(sent.exitCode()).as(sent.output()).isZero();
        ApiClient api = new ApiClient(port);
        for (String sop : sops) {
            List<String> ids = jdbc.sql("SELECT id::text FROM image WHERE sop_instance_uid = :uid")
                    .param("uid", sop).query(String.class).list();
            assertThat(ids).as("images for one SOP Instance UID").hasSize(1);
            JsonNode image = StowRsApiTest.awaitScored(api, "/api/v1/images/" + ids.get(0));
            assertThat(image.path("dicom").path("studyInstanceUid").asString()).isEqualTo(study);
            assertThat(jdbc.sql("SELECT count(*) FROM prediction WHERE image_id = :id::uuid").param("id", ids.get(0))
                    .query(Long.class).single()).isEqualTo(1);
        }
        // One audit row per C-STORE, named by the calling AE title, with the image it stored.
        assertThat(auditRows("STORESCU", "success") - auditBefore).isEqualTo(4);
        String firstImage = jdbc.sql("SELECT id::text FROM image WHERE sop_instance_uid = :uid")
                .param("uid", sops.get(0)).query(String.class).single();
        assertThat(jdbc.sql("""
                SELECT count(*) FROM audit_event WHERE actor = 'STORESCU' AND actor_kind = 'dicom-ae'
                AND action = 'dicom.c-store' AND resource_ids @> ARRAY[:id]::text[]""")
                .param("id", firstImage).query(Long.class).single()).isEqualTo(2);
    }

    @Test
    void aCallingAeTitleThatIsNotAllowedIsRejectedAndAudited(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("one.dcm");
        Files.write(file, StudyInstances.instance(StudyInstances.newUid(), StudyInstances.newUid(),
                StudyInstances.newUid()));
        long denied = auditRows("INTRUDER", "denied");

        StoreScu.Result sent = StoreScu.send(scp.state().port(), "INTRUDER", "CHESTLENS", List.of(file));

        assertThat(sent.statuses()).isEmpty();
        assertThat(sent.output()).contains("Association Rejected").contains("Calling AE Title Not Recognized");
        assertThat(auditRows("INTRUDER", "denied") - denied).isEqualTo(1);

        StoreScu.Result wrongCalled = StoreScu.send(scp.state().port(), "STORESCU", "SOMEONEELSE", List.of(file));
        assertThat(wrongCalled.output()).contains("Association Rejected").contains("Called AE Title Not Recognized");
    }

    @Test
    void aStalledAssociationIsDroppedAndHealthShowsTheListener() throws Exception {
        try (Socket stalled = new Socket("127.0.0.1", scp.state().port())) {
            // Half an A-ASSOCIATE-RQ header, then nothing: the receiver gives up after its idle timeout (3 s).
            stalled.getOutputStream().write(new byte[] {0x01, 0x00, 0x00});
            stalled.setSoTimeout((int) Duration.ofSeconds(20).toMillis());
            long start = System.nanoTime();
            InputStream in = stalled.getInputStream();
            assertThat(in.read()).as("the receiver closed the connection").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        }

        ApiClient admin = new ApiClient(port, TestSecurity.roles(Role.ADMIN));
        JsonNode health = admin.get("/actuator/health").body().path("components").path("dicomScp");
        assertThat(health.path("status").asString()).isEqualTo("UP");
        assertThat(health.path("details").path("port").asInt()).isEqualTo(scp.state().port());
        assertThat(health.path("details").path("aeTitle").asString()).isEqualTo("CHESTLENS");
        assertThat(health.path("details").path("maxAssociations").asInt()).isPositive();
    }

    private long auditRows(String actor, String outcome) {
        return jdbc.sql("SELECT count(*) FROM audit_event WHERE actor = :actor AND actor_kind = 'dicom-ae' "
                + "AND outcome = :outcome").param("actor", actor).param("outcome", outcome).query(Long.class).single();
    }
}
