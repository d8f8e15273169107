package org.chestlens.interop.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.util.Terser;
import org.chestlens.ApiClient;
import org.chestlens.ServiceProcess;
import org.chestlens.TestSchema;
import org.chestlens.interop.StudyInstances;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * An upload's ORU^R01 survives a crash of the service and arrives exactly once. The service runs as its own
 * process with one MLLP destination whose receiver is down: the message written with the prediction waits in
 * the outbox through failed attempts; the process is SIGKILLed; a new process starts, the receiver (HAPI's MLLP
 * server) comes up, and the message arrives once, valid under HAPI's default validation, with the accession
 * number and the stored probabilities, sent by the new process.
 */
class MllpRestartTest {

    private static final Duration START = Duration.ofMinutes(8); // the model's warm-up; slow on a busy machine

    @Test
    void anOruSurvivesAKillOfTheServiceAndArrivesExactlyOnce(@TempDir Path logs) throws Exception {
        int receiverPort = Hl7Receiver.freePort(); // nothing listens there until the receiver starts
        try (TestSchema db = new TestSchema("mllp_restart_test");
             ServiceProcess service = new ServiceProcess(logs.resolve("service.log"), db.datasourceArgument(),
                     "--chestlens.hl7.destinations[0].name=engine",
                     "--chestlens.hl7.destinations[0].host=127.0.0.1",
                     "--chestlens.hl7.destinations[0].port=" + receiverPort,
                     "--chestlens.hl7.destinations[0].ack-timeout=5s",
                     "--chestlens.hl7.receiving-application=EHR", "--chestlens.hl7.receiving-facility=HOSPITAL",
                     "--chestlens.hl7.backoff-base=500ms", "--chestlens.hl7.backoff-max=2s",
                     "--chestlens.hl7.max-attempts=100", "--chestlens.hl7.poll-interval=500ms")) {
            service.start(START);
            ApiClient api = new ApiClient(service.port());
            String accession = "ACC-" + UUID.randomUUID().toString().substring(0, 8);
            ApiClient.Answer upload = api.post("/api/v1/images", "application/dicom",
                    StudyInstances.instance(StudyInstances.newUid(), StudyInstances.newUid(), StudyInstances.newUid(),
                            accession), ApiClient.header("Prefer", "wait=60"));
            assertThat(upload.status()).isEqualTo(201);
            JsonNode stored = upload.body().path("images").path(0).path("predictions").path(0);

            awaitAttempts(db, 2, Duration.ofSeconds(30));
            assertThat(db.single("SELECT status FROM hl7_message")).isEqualTo("PENDING");
            String firstSender = db.single("SELECT DISTINCT attempted_by FROM hl7_message_attempt");
            assertThat(db.count("SELECT count(*) FROM hl7_message_attempt WHERE ack_code IS NOT NULL")).isZero();
            service.kill();
            assertThat(db.single("SELECT status FROM hl7_message")).isEqualTo("PENDING");

            service.start(START);
            try (Hl7Receiver receiver = Hl7Receiver.listen(receiverPort, Hl7Receiver.Answer.AA)) {
                List<String> got = receiver.await(1, Duration.ofSeconds(30));
                assertThat(got).as("the message after the restart").hasSize(1);
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!"DELIVERED".equals(db.single("SELECT status FROM hl7_message"))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(db.single("SELECT status FROM hl7_message")).isEqualTo("DELIVERED");
                Thread.sleep(1500); // three poll intervals: no second copy may follow
                assertThat(receiver.received()).as("exactly once").hasSize(1);

                ORU_R01 oru = OruMessagesTest.parseStrictly(got.get(0));
                Terser t = new Terser(oru);
                assertThat(t.get("/MSH-5")).isEqualTo("EHR");
                assertThat(t.get("/MSH-10")).isEqualTo(db.single("SELECT control_id FROM hl7_message"));
                assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-3")).isEqualTo(accession);
                assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-25")).isEqualTo("P");
                for (int i = 0; i < 4; i++) {
                    var obx = oru.getPATIENT_RESULT().getORDER_OBSERVATION().getOBSERVATION(i).getOBX();
                    String code = obx.getObservationIdentifier().getIdentifier().getValue();
                    assertThat(Double.parseDouble(obx.getObservationValue(0).getData().encode())).as(code)
                            .isCloseTo(stored.path("probabilities").path(code).asDouble(), within(1e-6));
                }
            }
            assertThat(db.single("SELECT attempted_by FROM hl7_message_attempt WHERE ack_code = 'AA'"))
                    .as("sent by the new process").isNotEqualTo(firstSender);
            JsonNode listed = api.get("/api/v1/hl7/destinations/engine/messages").body().path("items").path(0);
            assertThat(listed.path("status").asString()).isEqualTo("DELIVERED");
            assertThat(listed.path("attemptLog").size()).isGreaterThanOrEqualTo(3);
        }
    }

    private static void awaitAttempts(TestSchema db, int count, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (db.count("SELECT count(*) FROM hl7_message_attempt") < count && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(db.count("SELECT count(*) FROM hl7_message_attempt")).isGreaterThanOrEqualTo(count);
    }
}
