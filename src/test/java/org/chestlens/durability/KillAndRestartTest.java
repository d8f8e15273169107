package org.chestlens.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.util.Terser;
import org.chestlens.ApiClient;
import org.chestlens.ServiceProcess;
import org.chestlens.StoreScu;
import org.chestlens.TestImages;
import org.chestlens.TestSchema;
import org.chestlens.interop.StudyInstances;
import org.chestlens.interop.hl7.Hl7Receiver;
import org.chestlens.interop.webhook.WebhookReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpMethod;
import tools.jackson.databind.JsonNode;

/**
 * The durability promise (docs/architecture.md) for every way in and every way out, tested the hard way in one
 * scenario: the service runs as its own process with a webhook subscriber, an MLLP destination and a PACS (STOW-RS)
 * that are all down. A first prediction's webhook delivery, ORU^R01 and SR wait in the outboxes through failed
 * attempts. Then
 * concurrent REST clients send a burst of uploads; once a backlog has built up, storescu sends instances by
 * C-STORE, and at the first Success the process is frozen (SIGSTOP, so that moment's state can be read: the
 * instance and its job are committed, nothing of it is scored) and killed with SIGKILL. A new process starts
 * with the same instance id; the clients resend what got no answer. Beside the burst, one client waits for its
 * results (no Idempotency-Key): the input of its upload in flight at the kill was only in the killed process's
 * memory, so the new process fails that job (an HL7 failure message says so), and the client's resend is scored.
 *
 * <p>Afterwards every acknowledged upload and the instance answered Success end DONE with exactly one
 * prediction; then the receivers come up and every webhook delivery, every ORU^R01 and every DICOM SR (to a
 * STOW-RS receiver, down until then) arrives exactly once, sent by the new process, signed (webhooks), valid
 * under HAPI's default validation (HL7), with the source's patient module sealed across the kill (SR).
 *
 * <p>The processes use a schema of their own ({@link TestSchema}), so the test JVM's shared Spring context is
 * not one more replica doing the work; this test starts no Spring context.
 */
class KillAndRestartTest {

    private static final int UPLOADS = 220;
    private static final int WAITING_UPLOADS = 4;
    private static final int CLIENTS = 6;
    private static final int BACKLOG_BEFORE_C_STORE = 8;
    // The model's warm-up; slow on a busy machine, and the restart competes for the cores with the clients.
    private static final Duration START = Duration.ofMinutes(6);
    private static final String PATIENT_MODULE_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    @Test
    void everyAcceptedUploadAndEveryOutboxMessageSurvivesAKill(@TempDir Path dir) throws Exception {
        StoreScu.requireInstalled();
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int dicomPort = Hl7Receiver.freePort();
        int webhookPort = Hl7Receiver.freePort(); // nothing listens on either until the receivers start
        int mllpPort = Hl7Receiver.freePort();
        int stowPort = Hl7Receiver.freePort();
        String secret = WebhookReceiver.newSecret();
        String accession = "ACC-" + UUID.randomUUID().toString().substring(0, 8);
        List<Path> instances = new ArrayList<>();
        String firstSop = cStoreInstances(dir, instances);

        try (TestSchema db = new TestSchema("kill_restart_test");
             ServiceProcess service = new ServiceProcess(dir.resolve("service.log"), db.datasourceArgument(),
                     "--chestlens.inference.instance-id=kill-test-" + UUID.randomUUID(),
                     "--chestlens.inference.lease=10s", "--chestlens.inference.recovery-interval=1s",
                     "--chestlens.dicom.scp.port=" + dicomPort,
                     "--chestlens.webhooks.backoff-base=500ms", "--chestlens.webhooks.backoff-max=5s",
                     "--chestlens.webhooks.max-attempts=100", "--chestlens.webhooks.poll-interval=500ms",
                     "--chestlens.hl7.destinations[0].name=engine",
                     "--chestlens.hl7.destinations[0].host=127.0.0.1",
                     "--chestlens.hl7.destinations[0].port=" + mllpPort,
                     "--chestlens.hl7.destinations[0].ack-timeout=5s",
                     "--chestlens.hl7.destinations[0].events=prediction.completed,prediction.failed",
                     "--chestlens.hl7.receiving-application=EHR", "--chestlens.hl7.receiving-facility=HOSPITAL",
                     "--chestlens.hl7.backoff-base=500ms", "--chestlens.hl7.backoff-max=5s",
                     "--chestlens.hl7.max-attempts=100", "--chestlens.hl7.poll-interval=500ms",
                     "--chestlens.pacs.destinations[0].name=pacs", "--chestlens.pacs.destinations[0].protocol=STOW_RS",
                     "--chestlens.pacs.destinations[0].url=http://127.0.0.1:" + stowPort + "/dicom-web/studies",
                     "--chestlens.pacs.patient-module-key=" + PATIENT_MODULE_KEY,
                     "--chestlens.pacs.backoff-base=500ms", "--chestlens.pacs.backoff-max=5s",
                     "--chestlens.pacs.max-attempts=100", "--chestlens.pacs.poll-interval=500ms")) {
            long t0 = System.nanoTime();
            service.start(START);
            double firstStart = seconds(t0);
            ApiClient api = new ApiClient(service.port());
            assertThat(api.sendJson(HttpMethod.POST, "/api/v1/webhooks", """
                    {"url": "http://127.0.0.1:%d/hooks/chestlens", "secret": "%s",
                     "eventTypes": ["prediction.completed"]}""".formatted(webhookPort, secret)).status())
                    .isEqualTo(201);

            // 1. A first prediction whose deliveries the first process tries and cannot make.
            ApiClient.Answer first = api.post("/api/v1/images", "application/dicom",
                    StudyInstances.instance(StudyInstances.newUid(), StudyInstances.newUid(), StudyInstances.newUid(),
                            accession), ApiClient.header("Prefer", "wait=60"));
            assertThat(first.status()).isEqualTo(201);
            String firstImage = first.body().path("images").path(0).path("id").asString();
            JsonNode firstPrediction = first.body().path("images").path(0).path("predictions").path(0);
            awaitCount(db, "SELECT count(*) FROM webhook_delivery_attempt", 2);
            awaitCount(db, "SELECT count(*) FROM hl7_message_attempt", 2);
            awaitCount(db, "SELECT count(*) FROM pacs_delivery_attempt", 2);
            // attempted_by is host/pid/worker: the pid tells the processes apart.
            String firstProcess = db.single("SELECT DISTINCT split_part(attempted_by, '/', 2) FROM webhook_delivery_attempt");
            assertThat(db.single("SELECT DISTINCT split_part(attempted_by, '/', 2) FROM hl7_message_attempt"))
                    .isEqualTo(firstProcess);
            assertThat(db.single("SELECT DISTINCT split_part(attempted_by, '/', 2) FROM pacs_delivery_attempt"))
                    .isEqualTo(firstProcess);
            assertThat(db.count("SELECT count(*) FROM webhook_delivery_attempt WHERE status_code IS NOT NULL")
                    + db.count("SELECT count(*) FROM hl7_message_attempt WHERE ack_code IS NOT NULL")
                    + db.count("SELECT count(*) FROM pacs_delivery_attempt WHERE status IS NOT NULL"))
                    .as("no answer can come from a closed port").isZero();

            // 2. The burst, the C-STORE and the kill.
            Burst burst = new Burst(api, seed);
            WaitingClient waiting = new WaitingClient(api, seed);
            int killAfter = 40 + random.nextInt(120);
            burst.awaitAcknowledged(killAfter);
            awaitCount(db, "SELECT count(*) FROM inference_job WHERE status <> 'DONE'", BACKLOG_BEFORE_C_STORE);
            awaitCount(db, "SELECT count(*)" + HELD_JOBS, 1);
            AtomicReference<Map<String, Long>> atFreeze = new AtomicReference<>();
            AtomicReference<List<String>> heldAtFreeze = new AtomicReference<>();
            StoreScu.send(dicomPort, "STORESCU", "CHESTLENS", instances, status -> {
                if (status != 0 || atFreeze.get() != null) {
                    return;
                }
                try {
                    signal("STOP", service.pid());
                    atFreeze.set(stateOf(db, firstSop));
                    heldAtFreeze.set(db.column("SELECT image_id" + HELD_JOBS));
                    service.kill();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            int acknowledgedAtKill = burst.acknowledged.size();
            long doneAtKill = db.count("SELECT count(*) FROM inference_job WHERE status = 'DONE'");
            long unfinishedAtKill = db.count("SELECT count(*) FROM inference_job WHERE status <> 'DONE'");
            long pendingAtKill = db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'PENDING'");
            assertThat(atFreeze.get()).as("state when the service was frozen at the first C-STORE Success")
                    .isEqualTo(Map.of("images", 1L, "jobs", 1L, "unfinishedJobs", 1L, "predictions", 0L));
            assertThat(unfinishedAtKill).as("jobs the kill left unfinished").isPositive();
            assertThat(heldAtFreeze.get()).as("unscored jobs whose input only the killed process had").isNotEmpty();

            // 3. The restart: the same instance id takes its own jobs back at once.
            long t1 = System.nanoTime();
            service.start(START);
            double secondStart = seconds(t1);
            burst.finish();
            waiting.finish();
            List<UUID> accepted = new ArrayList<>(burst.acknowledged);
            accepted.addAll(waiting.acknowledged);
            accepted.add(UUID.fromString(firstImage));
            accepted.add(UUID.fromString(db.single("SELECT id FROM image WHERE sop_instance_uid = '" + firstSop + "'")));
            long unfinished = awaitZero(db, "SELECT count(*) FROM inference_job WHERE status <> 'DONE' AND image_id IN ("
                    + quoted(accepted) + ")", Duration.ofMinutes(4));
            assertThat(burst.acknowledged).hasSize(UPLOADS);
            assertThat(unfinished).as("accepted uploads not DONE").isZero();
            List<String> predictionsPerImage = db.column("""
                    SELECT count(p.id) FROM image i LEFT JOIN prediction p ON p.image_id = i.id
                    WHERE i.id IN (%s) GROUP BY i.id""".formatted(quoted(accepted)));
            assertThat(predictionsPerImage).hasSize(accepted.size()).containsOnly("1");
            assertThat(burst.statuses).allMatch(s -> s == 200 || s == 201 || s == 202 || s == 429);
            // The waiting clients' uploads in flight at the kill: failed by the new process, scored once resent.
            assertThat(waiting.acknowledged).hasSize(WAITING_UPLOADS);
            assertThat(waiting.unanswered.get()).as("waiting uploads cut by the kill").isPositive();
            for (String image : heldAtFreeze.get()) {
                assertThat(db.count("SELECT count(*) FROM hl7_message WHERE event_type = 'prediction.failed'"
                        + " AND image_id = '" + image + "'")).as("failure message for " + image).isEqualTo(1);
                assertThat(waiting.acknowledged).as("resent and accepted").contains(UUID.fromString(image));
            }

            // 4. The receivers come up: every delivery and every message arrives once, from the new process.
            long deliveries = db.count("SELECT count(*) FROM webhook_delivery");
            long messages = db.count("SELECT count(*) FROM hl7_message");
            long predictions = db.count("SELECT count(*) FROM prediction");
            assertThat(deliveries).as("one webhook delivery per prediction").isEqualTo(predictions);
            assertThat(messages).as("one ORU^R01 per prediction and per job failed for good")
                    .isEqualTo(predictions + heldAtFreeze.get().size());
            long srs = db.count("SELECT count(*) FROM pacs_delivery");
            assertThat(srs).as("one SR per prediction of a DICOM image").isEqualTo(db.count(
                    "SELECT count(*) FROM prediction p JOIN image i ON i.id = p.image_id WHERE i.format = 'DICOM'"))
                    .isGreaterThanOrEqualTo(2);
            assertThat(db.count("SELECT count(*) FROM webhook_delivery_attempt WHERE status_code = 200")
                    + db.count("SELECT count(*) FROM hl7_message_attempt WHERE ack_code IS NOT NULL"))
                    .as("delivered before the receivers were up").isZero();
            double arrival;
            try (WebhookReceiver webhooks = WebhookReceiver.listen(webhookPort);
                 Hl7Receiver engine = Hl7Receiver.listen(mllpPort, Hl7Receiver.Answer.AA);
                 WebhookReceiver pacs = WebhookReceiver.listen(stowPort)) {
                long t2 = System.nanoTime();
                awaitZero(db, "SELECT count(*) FROM webhook_delivery WHERE status <> 'DELIVERED'", Duration.ofMinutes(2));
                awaitZero(db, "SELECT count(*) FROM hl7_message WHERE status <> 'DELIVERED'", Duration.ofMinutes(2));
                awaitZero(db, "SELECT count(*) FROM pacs_delivery WHERE status <> 'DELIVERED'", Duration.ofMinutes(2));
                arrival = seconds(t2);
                Thread.sleep(1500); // three poll intervals: no second copy may follow
                List<WebhookReceiver.Received> hooks = webhooks.received(r -> true);
                assertThat(hooks).as("every webhook delivery, exactly once").hasSize((int) deliveries);
                assertThat(hooks.stream().map(WebhookReceiver.Received::id).distinct()).hasSize((int) deliveries);
                for (WebhookReceiver.Received hook : hooks) {
                    assertThat(WebhookReceiver.signatureValid(secret, hook)).as(hook.id()).isTrue();
                    assertThat(WebhookReceiver.timestampFresh(hook)).isTrue();
                    assertThat(hook.body()).contains("\"type\":\"prediction.completed\"");
                }
                assertThat(hooks).filteredOn(r -> r.body().contains(firstImage)).hasSize(1);

                // Each SR once, with the source's patient module: sealed before the kill, opened by the new process.
                List<WebhookReceiver.Received> stored = pacs.received(r -> true);
                assertThat(stored).as("every SR, exactly once").hasSize((int) srs);
                for (String uid : db.column("SELECT sop_instance_uid FROM pacs_delivery")) {
                    assertThat(stored).filteredOn(r -> r.body().contains(uid)).as(uid).hasSize(1);
                }
                assertThat(stored).allSatisfy(r -> assertThat(r.body()).contains("PID-TEST-0001"));
                assertThat(db.count("SELECT count(*) FROM pacs_delivery WHERE patient_module IS NOT NULL"))
                        .as("sealed patient modules left after delivery").isZero();

                List<String> orus = engine.received();
                assertThat(orus).as("every ORU^R01, exactly once").hasSize((int) messages);
                Map<String, ORU_R01> byControlId = new LinkedHashMap<>();
                for (String er7 : orus) {
                    ORU_R01 oru = Hl7Receiver.parseStrictly(er7);
                    byControlId.put(new Terser(oru).get("/MSH-10"), oru);
                }
                assertThat(byControlId).hasSize((int) messages);
                Terser t = new Terser(byControlId.get(db.single(
                        "SELECT control_id FROM hl7_message WHERE image_id = '" + firstImage + "'")));
                assertThat(t.get("/MSH-5")).isEqualTo("EHR");
                assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-3")).isEqualTo(accession);
                assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBR-25")).isEqualTo("P");
                for (int i = 0; i < 4; i++) {
                    String code = t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION(" + i + ")/OBX-3-1");
                    String value = t.get("/PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION(" + i + ")/OBX-5");
                    assertThat(Double.parseDouble(value)).as(code)
                            .isCloseTo(firstPrediction.path("probabilities").path(code).asDouble(), within(1e-6));
                }
            }
            assertThat(db.column("SELECT split_part(attempted_by, '/', 2) FROM webhook_delivery_attempt"
                    + " WHERE status_code = 200 UNION SELECT split_part(attempted_by, '/', 2) FROM hl7_message_attempt"
                    + " WHERE ack_code = 'AA' UNION SELECT split_part(attempted_by, '/', 2) FROM pacs_delivery_attempt"
                    + " WHERE status = 'HTTP 200'"))
                    .as("sent by the new process").hasSize(1).doesNotContain(firstProcess);
            System.out.printf("kill and restart test (seed %d): killed after %d acknowledged uploads (%d jobs done, "
                            + "%d webhook deliveries pending); %d requests got no answer and were resent; statuses %s; "
                            + "%d webhook deliveries, %d ORU^R01 and %d SR delivered %.1f s after the receivers came up; "
                            + "service starts %.1f s and %.1f s; waiting clients: %d jobs held at the kill, %d requests "
                            + "got no answer, %d resent after FAILED or 429%n",
                    seed, acknowledgedAtKill, doneAtKill, pendingAtKill, burst.unanswered.get(),
                    burst.statuses.stream().distinct().sorted().toList(), deliveries, messages, srs, arrival, firstStart,
                    secondStart, heldAtFreeze.get().size(), waiting.unanswered.get(), waiting.resent.get());
        }
    }

    /** Concurrent clients uploading PNGs; like an integration engine, they resend what got no answer. */
    private static final class Burst {

        final Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
        final List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger unanswered = new AtomicInteger();
        private final AtomicInteger sent = new AtomicInteger();
        private final ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);

        Burst(ApiClient api, long seed) {
            for (int c = 0; c < CLIENTS; c++) {
                clients.submit(() -> {
                    int n;
                    while ((n = sent.getAndIncrement()) < UPLOADS) {
                        byte[] png = TestImages.syntheticPng(seed + n, 240 + n % 40, 260);
                        long giveUp = System.nanoTime() + Duration.ofMinutes(8).toNanos();
                        while (System.nanoTime() < giveUp) {
                            try {
                                ApiClient.Answer answer = api.upload(ApiClient.header("Prefer", "respond-async"), png);
                                statuses.add(answer.status());
                                if (answer.status() == 429) {
                                    Thread.sleep(200);
                                    continue;
                                }
                                if (answer.status() == 202 || answer.status() == 201 || answer.status() == 200) {
                                    acknowledged.add(UUID.fromString(answer.body().path("images").path(0)
                                            .path("id").asString()));
                                }
                                break;
                            } catch (RuntimeException connectionLost) {
                                unanswered.incrementAndGet();
                                Thread.sleep(200);
                            }
                        }
                    }
                    return null;
                });
            }
        }

        void awaitAcknowledged(int count) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (acknowledged.size() < count && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(acknowledged.size()).as("acknowledged before the kill").isGreaterThanOrEqualTo(count);
        }

        void finish() throws InterruptedException {
            clients.shutdown();
            assertThat(clients.awaitTermination(8, TimeUnit.MINUTES)).isTrue();
        }
    }

    /**
     * One client that waits for each result ({@code Prefer: wait}, no Idempotency-Key) and, like an integration
     * engine, sends again what got no answer and what the service says failed.
     */
    private static final class WaitingClient {

        final Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
        final AtomicInteger unanswered = new AtomicInteger();
        final AtomicInteger resent = new AtomicInteger();
        // Two, so that one of them has an upload waiting at the kill even if the other's was just answered.
        private final ExecutorService clients = Executors.newFixedThreadPool(2);
        private final List<Future<?>> running = new ArrayList<>();

        WaitingClient(ApiClient api, long seed) {
            for (int c = 0; c < 2; c++) {
                int first = c * WAITING_UPLOADS / 2;
                running.add(clients.submit(() -> send(api, seed, first, first + WAITING_UPLOADS / 2)));
            }
        }

        private Void send(ApiClient api, long seed, int from, int to) throws InterruptedException {
            for (int n = from; n < to; n++) {
                byte[] png = TestImages.syntheticPng(seed + 1_000_000 + n, 250, 270 + n);
                long giveUp = System.nanoTime() + Duration.ofMinutes(8).toNanos();
                while (System.nanoTime() < giveUp) {
                    try {
                        ApiClient.Answer answer = api.upload(ApiClient.header("Prefer", "wait=120"), png);
                        JsonNode image = answer.body().path("images").path(0);
                        if (answer.status() == 429 || image.path("status").asString().equals("FAILED")) {
                            resent.incrementAndGet();
                            Thread.sleep(200);
                            continue;
                        }
                        // 202: not scored within the wait (a long backlog), its input stored; checked DONE later.
                        assertThat(answer.status()).as(answer.body().toString()).isIn(200, 201, 202);
                        acknowledged.add(UUID.fromString(image.path("id").asString()));
                        break;
                    } catch (RuntimeException connectionLost) {
                        unanswered.incrementAndGet();
                        Thread.sleep(200);
                    }
                }
            }
            return null;
        }

        void finish() throws Exception {
            clients.shutdown();
            assertThat(clients.awaitTermination(8, TimeUnit.MINUTES)).isTrue();
            for (Future<?> client : running) {
                client.get(); // an assertion that failed in a client fails the test
            }
        }
    }

    /** Three instances of one series; the first one's SOP Instance UID is returned. */
    private static String cStoreInstances(Path dir, List<Path> files) throws Exception {
        String study = StudyInstances.newUid();
        String series = StudyInstances.newUid();
        String first = null;
        for (int i = 0; i < 3; i++) {
            Path file = dir.resolve("instance-" + i + ".dcm");
            String sop = StudyInstances.newUid();
            Files.write(file, StudyInstances.instance(study, series, sop));
            files.add(file);
            first = first == null ? sop : first;
        }
        return first;
    }

    /** Unscored jobs whose input is only in a process's memory (a waiting client's). */
    private static final String HELD_JOBS = " FROM inference_job WHERE input IS NULL AND status <> 'DONE'";

    private static Map<String, Long> stateOf(TestSchema db, String sop) throws Exception {
        String where = " FROM image i LEFT JOIN inference_job j ON j.image_id = i.id "
                + "LEFT JOIN prediction p ON p.image_id = i.id WHERE i.sop_instance_uid = '" + sop + "'";
        return Map.of("images", db.count("SELECT count(DISTINCT i.id)" + where),
                "jobs", db.count("SELECT count(DISTINCT j.id)" + where),
                "unfinishedJobs", db.count("SELECT count(DISTINCT j.id) FILTER (WHERE j.status <> 'DONE')" + where),
                "predictions", db.count("SELECT count(DISTINCT p.id)" + where));
    }

    private static void awaitCount(TestSchema db, String sql, long atLeast) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (db.count(sql) < atLeast && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(db.count(sql)).as(sql).isGreaterThanOrEqualTo(atLeast);
    }

    private static long awaitZero(TestSchema db, String sql, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long count;
        while ((count = db.count(sql)) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(250);
        }
        return count;
    }

    private static String quoted(List<UUID> ids) {
        return String.join(",", ids.stream().map(id -> "'" + id + "'").toList());
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }
}
