package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.ServiceProcess;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Two service processes on one database (this test's own server and a second JVM) share a key's bucket:
 * a key limited to 60 a minute gets about 60 requests served in a minute from both together, not 60
 * from each.
 */
@ChestlensIntegrationTest
class ClusterRateLimitTest {

    private static final int PER_MINUTE = 60;
    private static final int REQUESTS = 150;

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Test
    void twoReplicasServeAKeyItsLimitTogether(@TempDir Path logs) throws Exception {
        ApiClient admin = new ApiClient(port, TestSecurity.roles(Role.ADMIN));
        String name = "cluster-limited-" + UUID.randomUUID();
        Answer created = admin.postJson("/api/v1/api-keys", Map.of("name", name, "roles", List.of("reader"),
                "rateLimitPerMinute", PER_MINUTE));
        assertThat(created.status()).isEqualTo(201);
        String key = created.body().path("key").asString();

        // Batches of one: the shortest model warm-up before readiness; this test scores nothing.
        try (ServiceProcess other = new ServiceProcess(logs.resolve("other.log"),
                "--chestlens.inference.max-batch-size=1")) {
            other.start(Duration.ofMinutes(3));
            List<ApiClient> replicas = List.of(new ApiClient(port, TestSecurity.apiKey(key)),
                    new ApiClient(other.port(), TestSecurity.apiKey(key)));

            int[] served = new int[2];
            int limited = 0;
            long started = System.nanoTime();
            for (int i = 0; i < REQUESTS; i++) {
                Answer answer = replicas.get(i % 2).get("/api/v1/models");
                if (answer.status() == 200) {
                    served[i % 2]++;
                } else {
                    assertThat(answer.status()).as("request " + i).isEqualTo(429);
                    assertThat(answer.body().path("type").asString()).isEqualTo("urn:chestlens:problem:rate-limited");
                    limited++;
                }
            }
            double elapsedMinutes = (System.nanoTime() - started) / 60e9;

            // The full burst, plus what refilled (60 a minute) while the requests were sent; counted per
            // replica it would be 120.
            int servedTogether = served[0] + served[1];
            System.out.printf("ClusterRateLimitTest: %d requests in %.1f s, served %d (this JVM %d, other process %d), "
                    + "limited %d%n", REQUESTS, elapsedMinutes * 60, servedTogether, served[0], served[1], limited);
            assertThat(servedTogether).isBetween(PER_MINUTE, PER_MINUTE + (int) Math.ceil(elapsedMinutes * PER_MINUTE) + 1);
            assertThat(served[0]).as("served by this JVM").isPositive();
            assertThat(served[1]).as("served by the other process").isPositive();
            assertThat(limited).isEqualTo(REQUESTS - servedTogether);
        }
        // Only digests in the shared table: neither the key's name nor its secret.
        List<String> ids = jdbc.sql("SELECT id FROM rate_limit_bucket").query(String.class).list();
        assertThat(ids).isNotEmpty().allMatch(id -> id.matches("[0-9a-f]{64}"));
    }
}
