package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
 * title, other AE titles are rejected, associations beyond the limit are refused, and an association that stalls is
 * dropped.
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

    @Test
    void associationsBeyondTheLimitAreRejectedAsLocalLimitExceededUntilOneIsReleased(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("one.dcm");
        Files.write(file, StudyInstances.instance(StudyInstances.newUid(), StudyInstances.newUid(),
                StudyInstances.newUid()));
        int limit = scp.state().maxAssociations();
        List<Socket> held = new ArrayList<>();
        try {
            // Established (A-ASSOCIATE-AC read) and idle: the receiver drops them only after its 3 s idle timeout.
            for (int i = 0; i < limit; i++) {
                held.add(associate(scp.state().port()));
            }
            assertThat(scp.state().activeAssociations()).isEqualTo(limit);

            StoreScu.Result refused = StoreScu.send(scp.state().port(), "STORESCU", "CHESTLENS", List.of(file));
            assertThat(refused.statuses()).as(refused.output()).isEmpty();
            assertThat(refused.output()).contains("Association Rejected").contains("Transient")
                    .contains("Local Limit Exceeded");

            held.remove(0).close();
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (scp.state().activeAssociations() >= limit && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            StoreScu.Result accepted = StoreScu.send(scp.state().port(), "STORESCU", "CHESTLENS", List.of(file));
            assertThat(accepted.statuses()).as(accepted.output()).containsExactly(0);
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    /** Opens an association (Verification, Implicit VR Little Endian) and leaves it idle. */
    private static Socket associate(int port) throws IOException {
        ByteArrayOutputStream items = new ByteArrayOutputStream();
        item(items, 0x10, ascii("1.2.840.10008.3.1.1.1"));
        ByteArrayOutputStream context = new ByteArrayOutputStream();
        context.write(new byte[] {1, 0, 0, 0});
        item(context, 0x30, ascii(StoragePresentationContexts.VERIFICATION));
        item(context, 0x40, ascii("1.2.840.10008.1.2"));
        item(items, 0x20, context.toByteArray());
        ByteArrayOutputStream maxLength = new ByteArrayOutputStream();
        item(maxLength, 0x51, new byte[] {0, 1, 0, 0});
        item(items, 0x50, maxLength.toByteArray());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(new byte[] {0, 1, 0, 0});
        body.write(String.format("%-16s%-16s", "CHESTLENS", "STORESCU").getBytes(StandardCharsets.US_ASCII));
        body.write(new byte[32]);
        body.write(items.toByteArray());
        Socket socket = new Socket("127.0.0.1", port);
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        out.writeByte(0x01);
        out.writeByte(0);
        out.writeInt(body.size());
        out.write(body.toByteArray());
        out.flush();
        socket.setSoTimeout(10_000);
        assertThat(socket.getInputStream().read()).as("A-ASSOCIATE-AC").isEqualTo(0x02);
        return socket;
    }

    private static void item(ByteArrayOutputStream to, int type, byte[] value) throws IOException {
        to.write(new byte[] {(byte) type, 0, (byte) (value.length >> 8), (byte) value.length});
        to.write(value);
    }

    private static byte[] ascii(String uid) {
        return uid.getBytes(StandardCharsets.US_ASCII);
    }

    private long auditRows(String actor, String outcome) {
        return jdbc.sql("SELECT count(*) FROM audit_event WHERE actor = :actor AND actor_kind = 'dicom-ae' "
                + "AND outcome = :outcome").param("actor", actor).param("outcome", outcome).query(Long.class).single();
    }
}
