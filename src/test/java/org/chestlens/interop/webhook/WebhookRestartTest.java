package org.chestlens.interop.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.chestlens.ApiClient;
import org.chestlens.ServiceProcess;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpMethod;

/**
 * A webhook delivery survives a restart of the service. The service runs as its own process: a
 * subscriber's receiver is down while a prediction is stored, so the delivery waits in the outbox;
 * the process is killed with SIGKILL; a new process starts, the receiver comes up, and the delivery
 * arrives exactly once, correctly signed, sent by the new process.
 *
 * <p>The processes use a schema of their own in the test database: the test JVM's shared Spring
 * context (when other test classes started it) would otherwise be a replica too, and could send
 * the delivery itself. That is also why this test starts no Spring context of its own.
 */
class WebhookRestartTest {

    private static final String SCHEMA = "webhook_restart_test";
    private static final Duration START = Duration.ofMinutes(8); // the model's warm-up; slow on a busy machine

    @Test
    void aWebhookDeliverySurvivesARestartOfTheService(@TempDir Path logs) throws Exception {
        String url = System.getenv().getOrDefault("TEST_DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/test");
        String user = System.getenv().getOrDefault("TEST_DATABASE_USER", "postgres");
        String password = System.getenv().getOrDefault("TEST_DATABASE_PASSWORD", "");
        try (Connection db = DriverManager.getConnection(url, user, password)) {
            try (Statement s = db.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
                s.execute("CREATE SCHEMA " + SCHEMA);
                s.execute("SET search_path TO " + SCHEMA);
            }
            int receiverPort;
            try (ServerSocket free = new ServerSocket(0)) {
                receiverPort = free.getLocalPort(); // nothing listens there until the receiver starts
            }
            String secret = WebhookReceiver.newSecret();
            try (ServiceProcess service = new ServiceProcess(logs.resolve("service.log"),
                    "--spring.datasource.url=" + url + (url.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA,
                    "--chestlens.webhooks.backoff-base=500ms", "--chestlens.webhooks.backoff-max=2s",
                    "--chestlens.webhooks.max-attempts=100", "--chestlens.webhooks.poll-interval=500ms")) {
                long t0 = System.nanoTime();
                service.start(START);
                double firstStart = seconds(t0);
                ApiClient api = new ApiClient(service.port());
                ApiClient.Answer subscribed = api.sendJson(HttpMethod.POST, "/api/v1/webhooks", """
                        {"url": "http://127.0.0.1:%d/hooks/chestlens", "secret": "%s",
                         "eventTypes": ["prediction.completed"]}""".formatted(receiverPort, secret));
                assertThat(subscribed.status()).isEqualTo(201);

                ApiClient.Answer upload = api.upload(ApiClient.header("Prefer", "wait=60"),
                        TestImages.syntheticPng(7101, 300, 320));
                assertThat(upload.status()).isEqualTo(201);
                String imageId = upload.body().path("images").path(0).path("id").asString();

                // The first process tried and could not deliver: the delivery waits in the outbox.
                List<String> firstAttempts = awaitAttempts(db, 2, Duration.ofSeconds(30));
                assertThat(firstAttempts).hasSizeGreaterThanOrEqualTo(2);
                assertThat(firstAttempts).as("one process made them").containsOnly(firstAttempts.get(0));
                assertThat(statusOfTheDelivery(db)).isEqualTo("PENDING");
                service.kill();
                assertThat(statusOfTheDelivery(db)).isEqualTo("PENDING");
                long attemptsAtKill = count(db, "SELECT count(*) FROM webhook_delivery_attempt");

                long t1 = System.nanoTime();
                service.start(START);
                double secondStart = seconds(t1);
                assertThat(count(db, "SELECT count(*) FROM webhook_delivery_attempt WHERE status_code = 200"))
                        .as("delivered before the receiver was up").isZero();
                double arrival;
                try (WebhookReceiver receiver = WebhookReceiver.listen(receiverPort)) {
                    long t2 = System.nanoTime();
                    List<WebhookReceiver.Received> got = receiver.await(r -> r.body().contains(imageId), 1,
                            Duration.ofSeconds(30));
                    arrival = seconds(t2);
                    assertThat(got).as("the delivery after the restart").hasSize(1);
                    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                    while (!"DELIVERED".equals(statusOfTheDelivery(db)) && System.nanoTime() < deadline) {
                        Thread.sleep(100);
                    }
                    assertThat(statusOfTheDelivery(db)).isEqualTo("DELIVERED");
                    Thread.sleep(1500); // three poll intervals: no second copy may follow
                    assertThat(receiver.received(r -> true)).as("exactly once").hasSize(1);
                    assertThat(WebhookReceiver.signatureValid(secret, got.get(0))).isTrue();
                    assertThat(WebhookReceiver.timestampFresh(got.get(0))).isTrue();
                    assertThat(got.get(0).body()).contains("\"type\":\"prediction.completed\"");
                }
                String deliveredBy = single(db, """
                        SELECT attempted_by FROM webhook_delivery_attempt WHERE status_code = 200""");
                assertThat(deliveredBy).as("sent by the new process").isNotEqualTo(firstAttempts.get(0));
                System.out.printf("webhook restart test: %d failed attempts before the kill; delivered by the new "
                        + "process after %d attempts in all, %.1f s after the receiver came up (backoff-max 2 s); "
                        + "service starts %.1f s and %.1f s%n", attemptsAtKill,
                        count(db, "SELECT count(*) FROM webhook_delivery_attempt"), arrival, firstStart, secondStart);
            } finally {
                try (Statement s = db.createStatement()) {
                    s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
                }
            }
        }
    }

    private static List<String> awaitAttempts(Connection db, int count, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> by = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            by.clear();
            try (Statement s = db.createStatement();
                 ResultSet rs = s.executeQuery("""
                         SELECT attempted_by, status_code FROM webhook_delivery_attempt ORDER BY attempt""")) {
                while (rs.next()) {
                    assertThat(rs.getObject("status_code")).as("no answer can come from a closed port").isNull();
                    by.add(rs.getString("attempted_by"));
                }
            }
            if (by.size() >= count) {
                break;
            }
            Thread.sleep(100);
        }
        return by;
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    private static String statusOfTheDelivery(Connection db) throws SQLException {
        return single(db, "SELECT status FROM webhook_delivery");
    }

    private static long count(Connection db, String sql) throws SQLException {
        return Long.parseLong(single(db, sql));
    }

    private static String single(Connection db, String sql) throws SQLException {
        try (PreparedStatement s = db.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
            assertThat(rs.next()).as(sql).isTrue();
            String value = rs.getString(1);
            assertThat(rs.next()).as("one row: " + sql).isFalse();
            return value;
        }
    }

}
