package org.chestlens.interop.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.util.Terser;
import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.interop.StudyInstances;
import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.prediction.HospitalIdentifiers;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/**
 * The MLLP side against HAPI's own MLLP server on loopback: a stored prediction's ORU^R01 arrives and passes
 * HAPI's default validation; AE, AR, no answer and a receiver that closes mid-message end as docs/hl7.md says;
 * a destination that never answers holds neither another destination nor another replica. Each test sends
 * through destinations of its own, so the shared service (which has none configured) never touches them.
 */
@ChestlensIntegrationTest
class MllpDeliveryTest {

    private static final Duration ACK_TIMEOUT = Duration.ofMillis(800);

    @LocalServerPort
    int port;
    @Autowired
    Hl7Store store;
    @Autowired
    TransactionTemplate transactions;
    @Autowired
    DatabaseAvailability database;

    static Hl7Properties properties(int maxAttempts, Hl7Properties.Destination... destinations) {
        return new Hl7Properties(true, "CHESTLENS", "RAD", "EHR", "HOSPITAL", "P", Duration.ofMillis(100),
                maxAttempts, Duration.ofMillis(1), Duration.ofMillis(1), false, List.of(destinations));
    }

    static Hl7Properties.Destination destination(String prefix, int port) {
        return new Hl7Properties.Destination(prefix + "-" + UUID.randomUUID().toString().substring(0, 8), "127.0.0.1",
                port, false, Duration.ofSeconds(2), ACK_TIMEOUT, List.of("prediction.completed"), null, null);
    }

    static String controlId(String er7) {
        return er7.split("\r")[0].split("\\|")[9];
    }

    private UUID enqueue(Hl7Properties.Destination destination, String er7) {
        transactions.executeWithoutResult(tx -> store.enqueue(destination.name(), "prediction.completed",
                controlId(er7), null, UUID.randomUUID(), er7));
        return store.messages(destination.name(), 1, null).get(0).id();
    }

    private static String someOru() {
        return OruMessages.completed(OruMessagesTest.HEADER, OruMessages.newControlId(), Instant.now(),
                OruMessagesTest.prediction(null), new HospitalIdentifiers("ACC-T", null, null, null, null));
    }

    private Hl7MessageView message(UUID id) {
        return store.message(id).orElseThrow();
    }

    @Test
    void anUploadsOruArrivesAtAnHl7ServerValidAndWithTheStoredValues() throws Exception {
        ApiClient api = new ApiClient(port);
        String accession = "ACC-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] dicom = StudyInstances.instance(StudyInstances.newUid(), StudyInstances.newUid(),
                StudyInstances.newUid(), accession);
        ApiClient.Answer upload = api.post("/api/v1/images", "application/dicom", dicom,
                ApiClient.header("Prefer", "wait=60"));
        assertThat(upload.status()).isEqualTo(201);
        JsonNode stored = upload.body().path("images").path(0).path("predictions").path(0);
        String predictionId = stored.path("id").asString();

        ApiClient.TextAnswer er7 = api.getText("/api/v1/predictions/" + predictionId + "/hl7v2", new HttpHeaders());
        assertThat(er7.status()).isEqualTo(200);
        assertThat(er7.contentType()).startsWith(Hl7Controller.ER7);

        try (Hl7Receiver receiver = Hl7Receiver.listen(Hl7Receiver.Answer.AA)) {
            Hl7Properties.Destination engine = destination("aa", receiver.port());
            UUID id = enqueue(engine, er7.body());
            try (MllpSender sender = new MllpSender(store, properties(3, engine), engine, "test-replica")) {
                assertThat(sender.sendDue()).isEqualTo(1);
            }
            List<String> got = receiver.await(1, Duration.ofSeconds(5));
            assertThat(got).hasSize(1);
            ORU_R01 oru = Hl7Receiver.parseStrictly(got.get(0));
            Terser t = new Terser(oru);
            assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-3")).isEqualTo(accession);
            assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/ORC-2")).isEqualTo(accession);
            for (int i = 0; i < 4; i++) {
                var obx = oru.getPATIENT_RESULT().getORDER_OBSERVATION().getOBSERVATION(i).getOBX();
                String code = obx.getObservationIdentifier().getIdentifier().getValue();
                assertThat(Double.parseDouble(obx.getObservationValue(0).getData().encode()))
                        .as(code).isCloseTo(stored.path("probabilities").path(code).asDouble(), within(1e-6));
            }
            assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION(7)/OBX-5-1"))
                    .isEqualTo(stored.path("predictedClass").path("code").asString());
            Hl7MessageView delivered = message(id);
            assertThat(delivered.status()).isEqualTo("DELIVERED");
            assertThat(delivered.attemptLog()).singleElement().satisfies(a -> {
                assertThat(a.ackCode()).isEqualTo("AA");
                assertThat(a.error()).isNull();
            });
        }
    }

    @Test
    void anApplicationErrorIsRetriedThenFailsWithTheReceiversErrorCode() throws Exception {
        try (Hl7Receiver receiver = Hl7Receiver.listen(Hl7Receiver.Answer.AE)) {
            Hl7Properties.Destination engine = destination("ae", receiver.port());
            UUID id = enqueue(engine, someOru());
            try (MllpSender sender = new MllpSender(store, properties(2, engine), engine, "test-replica")) {
                assertThat(sender.sendDue()).isEqualTo(1);
                assertThat(message(id).status()).as("AE: retried").isEqualTo("PENDING");
                Thread.sleep(20); // the 1 ms backoff
                assertThat(sender.sendDue()).isEqualTo(1);
            }
            Hl7MessageView failed = message(id);
            assertThat(failed.status()).as("attempts used up").isEqualTo("FAILED");
            assertThat(failed.attemptLog()).hasSize(2).allSatisfy(a -> {
                assertThat(a.ackCode()).isEqualTo("AE");
                // The coded error (HL7 table 0357: 207, application internal error); the receiver's own words may
                // quote the message, patient included, so they are not kept.
                assertThat(a.error()).startsWith("AE: 207").doesNotContain("results database unavailable");
            });
            assertThat(receiver.received()).as("the same message both times").hasSize(2).containsOnly(
                    receiver.received().get(0));
        }
    }

    @Test
    void aRejectionFailsAtOnceAndCanBeResent() throws Exception {
        try (Hl7Receiver receiver = Hl7Receiver.listen(Hl7Receiver.Answer.AR)) {
            Hl7Properties.Destination engine = destination("ar", receiver.port());
            UUID id = enqueue(engine, someOru());
            try (MllpSender sender = new MllpSender(store, properties(5, engine), engine, "test-replica")) {
                assertThat(sender.sendDue()).isEqualTo(1);
                Hl7MessageView rejected = message(id);
                assertThat(rejected.status()).isEqualTo("FAILED");
                assertThat(rejected.attemptLog()).singleElement().satisfies(a -> {
                    assertThat(a.ackCode()).isEqualTo("AR");
                    assertThat(a.error()).startsWith("AR").doesNotContain("unknown receiving facility");
                });
                assertThat(sender.sendDue()).as("nothing due after a rejection").isZero();
                assertThat(store.resend(id)).contains(engine.name());
                assertThat(sender.sendDue()).as("due again after a re-send").isEqualTo(1);
            }
            assertThat(message(id).attemptLog()).extracting(Hl7MessageView.Attempt::attempt).containsExactly(1, 2);
            assertThat(receiver.received()).hasSize(2);
        }
    }

    @Test
    void aDestinationThatNeverAnswersTimesOutWithoutHoldingOthersOrOtherReplicas() throws Exception {
        try (Hl7Receiver silent = Hl7Receiver.listen(Hl7Receiver.Answer.NOTHING);
             Hl7Receiver good = Hl7Receiver.listen(Hl7Receiver.Answer.AA)) {
            Hl7Properties.Destination stuck = destination("silent", silent.port());
            Hl7Properties.Destination fine = destination("good", good.port());
            UUID first = enqueue(stuck, someOru());
            UUID second = enqueue(stuck, someOru());
            MllpDispatcher dispatcher = new MllpDispatcher(store, properties(10, stuck, fine), database);
            dispatcher.start();
            try {
                silent.await(1, Duration.ofSeconds(5)); // the silent destination's worker now waits for an ACK
                UUID toGood = enqueue(fine, someOru());
                dispatcher.wake(fine.name());
                assertThat(good.await(1, Duration.ofSeconds(5))).as("another destination is not held").hasSize(1);
                // Another replica claims the silent destination's next message without waiting for the held one.
                long t0 = System.nanoTime();
                Hl7Store.Claimed other = store.claim(stuck.name(), "other-replica", stuck.lease()).orElseThrow();
                assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(1));
                assertThat(other.id()).isIn(first, second);
                awaitStatus(toGood, "DELIVERED");
            } finally {
                dispatcher.stop();
            }
            Hl7MessageView timedOut = message(first);
            assertThat(timedOut.attemptLog()).isNotEmpty();
            assertThat(timedOut.attemptLog().get(0).ackCode()).isNull();
            assertThat(timedOut.attemptLog().get(0).error()).contains("no acknowledgement within 800 ms");
            assertThat(timedOut.attemptLog().get(0).durationMs()).isBetween(700.0, 5000.0);
        }
    }

    @Test
    void aReceiverThatClosesMidMessageIsAFailedAttemptToRetry() throws Exception {
        try (ServerSocket listener = new ServerSocket(0)) {
            // Reads the first bytes of the MLLP frame and hangs up: a crashing or overloaded engine.
            CompletableFuture<Integer> cut = CompletableFuture.supplyAsync(() -> {
                try (Socket s = listener.accept(); InputStream in = s.getInputStream()) {
                    return in.readNBytes(32).length;
                } catch (java.io.IOException e) {
                    return -1;
                }
            });
            Hl7Properties.Destination engine = destination("cut", listener.getLocalPort());
            UUID id = enqueue(engine, someOru());
            try (MllpSender sender = new MllpSender(store, properties(3, engine), engine, "test-replica")) {
                assertThat(sender.sendDue()).isEqualTo(1);
            }
            assertThat(cut.get(5, TimeUnit.SECONDS)).isEqualTo(32);
            Hl7MessageView retried = message(id);
            assertThat(retried.status()).isEqualTo("PENDING");
            assertThat(retried.attemptLog()).singleElement().satisfies(a -> {
                assertThat(a.ackCode()).isNull();
                assertThat(a.error()).isNotBlank();
            });
        }
    }

    @Test
    void aClosedPortIsAFailedAttemptToRetry() throws Exception {
        Hl7Properties.Destination engine = destination("down", Hl7Receiver.freePort());
        UUID id = enqueue(engine, someOru());
        try (MllpSender sender = new MllpSender(store, properties(3, engine), engine, "test-replica")) {
            assertThat(sender.sendDue()).isEqualTo(1);
        }
        assertThat(message(id).status()).isEqualTo("PENDING");
        assertThat(message(id).attemptLog().get(0).error()).contains("ConnectException");
    }

    private void awaitStatus(UUID id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!status.equals(message(id).status()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(message(id).status()).isEqualTo(status);
    }
}
