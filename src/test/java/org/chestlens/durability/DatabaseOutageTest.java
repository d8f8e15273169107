package org.chestlens.durability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.chestlens.ApiClient;
import org.chestlens.ServiceProcess;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.chestlens.interop.webhook.WebhookReceiver;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import tools.jackson.databind.json.JsonMapper;

/**
 * PostgreSQL goes away for 20 s under load and comes back (docs/operations.md#database-outage). The
 * service runs as its own process on a PostgreSQL cluster this test creates and controls (the shared
 * server is never stopped), reached through a multi-host URL whose first host is gone, as after a
 * failover. Four integration engines upload for 60 s with an API key; a webhook receiver is subscribed;
 * readiness and the model list are polled throughout. Checked: only 201/202/429/503, none slower than
 * 5 s; readiness DOWN within a second of the stop and UP within a second of the start; the model list
 * answers during the outage; afterwards every acknowledged upload is scored exactly once, its
 * webhook event delivered exactly once, and the outage's audit rows and metrics are there.
 */
class DatabaseOutageTest {

    private static final int UPLOADERS = 4;
    private static final Duration LOAD = Duration.ofSeconds(60);
    private static final Duration BEFORE_OUTAGE = Duration.ofSeconds(20);
    private static final Duration OUTAGE = Duration.ofSeconds(20);
    private static final long SLOWEST_ALLOWED_MS = 5000;
    private static final long PROBE_SLACK_MS = 1000;
    private static final String API_KEY = "clk_outage-test-" + UUID.randomUUID().toString().replace("-", "");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One answer as a client saw it. */
    private record Sample(long atNanos, int status, long millis) {
    }

    @Test
    void theServiceFailsFastDuringADatabaseOutageAndLosesNothing() throws Exception {
        // The service's log stays in the build folder: the first thing to read when this test fails.
        Path logs = Files.createDirectories(Path.of("target", "database-outage-test"));
        Files.deleteIfExists(logs.resolve("service.log"));
        Path bin = PostgresCluster.serverBinaries().orElse(null);
        assumeTrue(bin != null, "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed");
        try (PostgresCluster cluster = PostgresCluster.create(bin);
             WebhookReceiver receiver = WebhookReceiver.listen(0)) {
            int formerPrimary;
            try (ServerSocket gone = new ServerSocket(0)) {
                formerPrimary = gone.getLocalPort(); // nothing listens there: the host that failed over
            }
            String url = "jdbc:postgresql://127.0.0.1:" + formerPrimary + ",127.0.0.1:" + cluster.port() + "/"
                    + PostgresCluster.DATABASE + "?targetServerType=primary";
            try (ServiceProcess service = new ServiceProcess(logs.resolve("service.log"),
                    "--spring.datasource.url=" + url, "--spring.datasource.username=" + PostgresCluster.USER,
                    "--spring.datasource.password=",
                    "--chestlens.security.bootstrap-admin-key=" + API_KEY,
                    "--chestlens.security.bootstrap-admin-roles=admin,submitter,reader",
                    // A small queue keeps the backlog (and the wait for it at the end) short; the excess is 429.
                    "--chestlens.inference.queue-capacity=8", "--chestlens.ingest.decode-slot-wait=1s",
                    "--chestlens.webhooks.max-attempts=100", "--chestlens.inference.max-batch-size=2",
                    "--chestlens.database.retry-after=7s")) {
                long began = System.nanoTime();
                service.start(Duration.ofMinutes(5));
                ApiClient api = new ApiClient(service.port(), TestSecurity.apiKey(API_KEY));
                ApiClient.Answer subscribed = api.sendJson(HttpMethod.POST, "/api/v1/webhooks", """
                        {"url": "%s", "secret": "%s", "eventTypes": ["prediction.completed"]}"""
                        .formatted(receiver.url(), WebhookReceiver.newSecret()));
                assertThat(subscribed.status()).isEqualTo(201);

                // One upload per client first, not timed: the first requests after a start meet code the JIT
                // is still compiling (seconds on a busy 2-core machine), which is not what this test is about.
                List<UUID> warmUp = new ArrayList<>();
                for (int i = 0; i < UPLOADERS; i++) {
                    ApiClient.Answer first = api.upload(ApiClient.header("Prefer", "respond-async"),
                            TestImages.syntheticPng(System.nanoTime(), 250, 260));
                    assertThat(first.status()).as("warm-up upload").isEqualTo(202);
                    warmUp.add(UUID.fromString(first.body().path("images").path(0).path("id").asString()));
                }
                Run run = new Run(service.port(), api);
                run.acknowledged.addAll(warmUp);
                long start = System.nanoTime();
                run.begin(start);
                Thread.sleep(BEFORE_OUTAGE.toMillis());
                cluster.stop();
                long stopped = System.nanoTime();
                Thread.sleep(3000);
                ApiClient.Answer stow = storeInstance(api);
                Thread.sleep(Math.max(0, OUTAGE.toMillis() - (System.nanoTime() - stopped) / 1_000_000));
                long startRequested = System.nanoTime();
                cluster.start();
                long started = System.nanoTime();
                Thread.sleep(Math.max(0, LOAD.toMillis() - (System.nanoTime() - start) / 1_000_000));
                run.end();

                List<UUID> acknowledged = List.copyOf(run.acknowledged);
                Map<Integer, Long> statuses = run.uploads.stream()
                        .collect(Collectors.groupingBy(Sample::status, Collectors.counting()));
                long slowest = run.uploads.stream().mapToLong(Sample::millis).max().orElse(0);
                System.out.printf("database outage test: %d uploads %s, slowest %d ms, %d acknowledged, %d without "
                                + "answer; readiness polls %d; model list polls during the outage %s; stop took until "
                                + "%.1f s, start %.1f s to %.1f s%n",
                        run.uploads.size(), statuses, slowest, acknowledged.size(), run.noAnswer.get(),
                        run.readiness.size(), statusesBetween(run.models, stopped, startRequested),
                        (stopped - start) / 1e9, (startRequested - start) / 1e9, (started - start) / 1e9);

                run.uploads.stream().filter(u -> u.millis() > 1500).forEach(u -> System.out.printf(
                        "slow upload: sent at %.2f s, status %d, %d ms%n", (u.atNanos() - start) / 1e9, u.status(),
                        u.millis()));
                System.out.printf("phases: service started in %.1f s; load ended at %.1f s after it%n",
                        (start - began) / 1e9, (System.nanoTime() - start) / 1e9);
                assertThat(run.noAnswer.get()).as("requests without an answer").isZero();
                assertThat(statuses.keySet()).as("upload statuses (200: a resent upload that was stored)")
                        .isSubsetOf(200, 201, 202, 429, 503).contains(503);
                assertThat(slowest).as("slowest upload (ms)").isLessThan(SLOWEST_ALLOWED_MS);
                assertThat(run.uploads.stream().filter(s -> s.atNanos() > started && s.status() / 100 == 2))
                        .as("uploads acknowledged after the database came back").isNotEmpty();
                assertThat(run.readiness).as("readiness polls slower than 5 s")
                        .allMatch(s -> s.millis() < SLOWEST_ALLOWED_MS);

                // Readiness: DOWN within a second of the stop, UP within a second of the start.
                long firstDown = firstAfter(run.readiness, stopped, 503);
                long firstUpAgain = firstAfter(run.readiness, started, 200);
                System.out.printf("readiness DOWN %d ms after the stop, UP %d ms after the start%n",
                        (firstDown - stopped) / 1_000_000, (firstUpAgain - started) / 1_000_000);
                assertThat(firstDown - stopped).as("readiness DOWN after the stop (ns)")
                        .isLessThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(PROBE_SLACK_MS));
                assertThat(firstUpAgain - started).as("readiness UP after the start (ns)")
                        .isLessThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(PROBE_SLACK_MS));
                assertThat(run.readiness.stream().filter(s -> s.atNanos() > stopped + TimeUnit.MILLISECONDS
                        .toNanos(PROBE_SLACK_MS) && s.atNanos() < startRequested).map(Sample::status))
                        .as("readiness during the outage").isNotEmpty().containsOnly(503);

                // DICOMweb STOW-RS: the instance failed with 0xA700 (out of resources), retry after the time given.
                assertThat(stow.status()).as("STOW-RS during the outage").isEqualTo(409);
                assertThat(stow.headers().getFirst(HttpHeaders.RETRY_AFTER)).as("the configured retry-after")
                        .isEqualTo("7");
                assertThat(stow.body().path("00081198").path("Value").path(0).path("00081197").path("Value").path(0)
                        .asInt()).as("Failure Reason").isEqualTo(0xA700);

                // What needs no database still answers, with the API key from the cache.
                assertThat(statusesBetween(run.models, stopped, startRequested).keySet())
                        .as("GET /api/v1/models during the outage").containsOnly(200);

                // Nothing acknowledged is lost, nothing is scored twice.
                try (Connection db = DriverManager.getConnection(cluster.jdbcUrl(PostgresCluster.DATABASE),
                        PostgresCluster.USER, "")) {
                    UUID[] ids = acknowledged.toArray(UUID[]::new);
                    long unfinished = awaitZero(db, """
                            SELECT count(*) FROM inference_job WHERE image_id = ANY(?) AND status <> 'DONE'""", ids,
                            Duration.ofMinutes(3));
                    assertThat(unfinished).as("acknowledged uploads not DONE").isZero();
                    List<Long> predictionsPerImage = longs(db, """
                            SELECT count(p.id) FROM image i LEFT JOIN prediction p ON p.image_id = i.id
                            WHERE i.id = ANY(?) GROUP BY i.id""", ids);
                    assertThat(predictionsPerImage).hasSize(ids.length).containsOnly(1L);
                    // No attempt was counted against any of them: the outage failed no job.
                    assertThat(longs(db, "SELECT count(*) FROM inference_job WHERE image_id = ANY(?) AND attempts > 0",
                            ids)).as("jobs with a failed attempt").containsExactly(0L);
                    try (ResultSet audited = db.createStatement().executeQuery(
                            "SELECT count(*) FROM audit_event WHERE status = 503")) {
                        audited.next();
                        assertThat(audited.getLong(1)).as("audit rows of the 503 answers, written after the outage")
                                .isPositive();
                    }
                }

                // Every event delivered once, after the recovery for those scored then.
                List<WebhookReceiver.Received> events = receiver.await(r -> true, acknowledged.size(),
                        Duration.ofMinutes(2));
                System.out.printf("events received %.1f s after the load%n", (System.nanoTime() - start) / 1e9 - 60);
                Thread.sleep(2000); // a duplicate would come now
                Map<String, Long> perImage = receiver.received(r -> true).stream()
                        .collect(Collectors.groupingBy(r -> JSON.readTree(r.body()).findValue("imageId").asString(),
                                Collectors.counting()));
                assertThat(events).hasSizeGreaterThanOrEqualTo(acknowledged.size());
                assertThat(perImage.keySet()).containsExactlyInAnyOrderElementsOf(
                        acknowledged.stream().map(UUID::toString).toList());
                assertThat(perImage.values()).as("deliveries per image").containsOnly(1L);

                // The outage is counted.
                String metrics = api.getText("/actuator/prometheus", new HttpHeaders()).body();
                assertThat(metric(metrics, "chestlens_database_outages_total")).isGreaterThanOrEqualTo(1);
                assertThat(metric(metrics, "chestlens_rejections_total{reason=\"database-unavailable\"")).isPositive();
                assertThat(metrics).contains("hikaricp_connections_acquire_seconds");
            }
        }
    }

    /** The clients: uploaders, a readiness poller and a model-list poller, all recording what they saw. */
    private static final class Run {
        final List<Sample> uploads = Collections.synchronizedList(new ArrayList<>());
        final List<Sample> readiness = Collections.synchronizedList(new ArrayList<>());
        final List<Sample> models = Collections.synchronizedList(new ArrayList<>());
        final Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
        final AtomicInteger noAnswer = new AtomicInteger();
        private final int port;
        private final ApiClient api;
        private final ExecutorService threads = Executors.newFixedThreadPool(UPLOADERS + 2);
        private final List<Future<?>> running = new ArrayList<>();
        private volatile boolean stop;

        Run(int port, ApiClient api) {
            this.port = port;
            this.api = api;
        }

        void begin(long seedBase) {
            for (int c = 0; c < UPLOADERS; c++) {
                int client = c;
                running.add(threads.submit(() -> upload(seedBase + client * 1_000_000L)));
            }
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            running.add(threads.submit(() -> poll(readiness, 100, () -> HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/actuator/health/readiness")), http)));
            running.add(threads.submit(() -> poll(models, 250, () -> HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/api/v1/models")).header("X-API-Key", API_KEY), http)));
        }

        void end() throws Exception {
            stop = true;
            for (Future<?> future : running) {
                future.get(1, TimeUnit.MINUTES);
            }
            threads.shutdown();
        }

        /**
         * Uploads one image after another; one refused (503, 429) is sent again, as a client does, also after the
         * load has ended: an upload committed just before the database went away may be answered 503 because its
         * answer could not be read, and only the retry's 200 tells the client it was stored.
         */
        private Void upload(long seed) throws InterruptedException {
            byte[] png = null;
            int retriesAfterTheLoad = 0;
            for (int n = 0; (!stop || png != null) && retriesAfterTheLoad < 100; ) {
                if (png == null) {
                    png = TestImages.syntheticPng(seed + n, 240 + n % 40, 260);
                    n++;
                }
                if (stop) {
                    retriesAfterTheLoad++;
                }
                long sent = System.nanoTime();
                ApiClient.Answer answer;
                try {
                    answer = api.upload(ApiClient.header("Prefer", "respond-async"), png);
                } catch (RuntimeException lost) {
                    noAnswer.incrementAndGet();
                    Thread.sleep(200);
                    continue;
                }
                uploads.add(new Sample(sent, answer.status(), (System.nanoTime() - sent) / 1_000_000));
                if (answer.status() / 100 == 2) {
                    acknowledged.add(UUID.fromString(answer.body().path("images").path(0).path("id").asString()));
                    png = null;
                    Thread.sleep(50);
                } else {
                    Thread.sleep(answer.status() == 503 ? 500 : 250); // shorter than Retry-After: more samples
                }
            }
            return null;
        }

        private Void poll(List<Sample> samples, long everyMillis, Supplier<HttpRequest.Builder> request,
                          HttpClient http) throws InterruptedException {
            while (!stop) {
                long sent = System.nanoTime();
                try {
                    HttpResponse<Void> response = http.send(request.get().timeout(Duration.ofSeconds(10)).build(),
                            HttpResponse.BodyHandlers.discarding());
                    samples.add(new Sample(sent, response.statusCode(), (System.nanoTime() - sent) / 1_000_000));
                } catch (IOException lost) {
                    noAnswer.incrementAndGet();
                }
                Thread.sleep(everyMillis);
            }
            return null;
        }
    }

    /** One DICOM instance (the committed test radiograph) over STOW-RS. */
    private static ApiClient.Answer storeInstance(ApiClient api) throws IOException {
        String boundary = "outage-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        body.writeBytes(Files.readAllBytes(Path.of("src/test/resources/dicom/explicit-le.dcm")));
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return api.post("/dicomweb/studies", "multipart/related; type=\"application/dicom\"; boundary=" + boundary,
                body.toByteArray());
    }

    /** When the first poll sent after {@code since} saw {@code status}. */
    private static long firstAfter(List<Sample> samples, long since, int status) {
        return samples.stream().filter(s -> s.atNanos() >= since && s.status() == status).mapToLong(Sample::atNanos)
                .min().orElseThrow(() -> new AssertionError("no poll answered " + status + " after that"));
    }

    private static Map<Integer, Long> statusesBetween(List<Sample> samples, long from, long until) {
        return samples.stream().filter(s -> s.atNanos() >= from && s.atNanos() < until)
                .collect(Collectors.groupingBy(Sample::status, Collectors.counting()));
    }

    private static long awaitZero(Connection db, String sql, UUID[] ids, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long count;
        do {
            count = longs(db, sql, ids).get(0);
            if (count > 0) {
                Thread.sleep(500);
            }
        } while (count > 0 && System.nanoTime() < deadline);
        return count;
    }

    private static List<Long> longs(Connection db, String sql, UUID[] ids) throws Exception {
        try (PreparedStatement statement = db.prepareStatement(sql)) {
            statement.setArray(1, db.createArrayOf("uuid", ids));
            List<Long> values = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getLong(1));
                }
            }
            return values;
        }
    }

    /** The value of the first sample whose name and labels start with {@code prefix}. */
    private static double metric(String exposition, String prefix) {
        return exposition.lines().filter(line -> line.startsWith(prefix)).findFirst()
                .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .orElseThrow(() -> new AssertionError("no metric " + prefix));
    }
}
