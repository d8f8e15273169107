package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Each API key has its own bucket: one key over its limit gets 429, another key is not affected. */
@ChestlensIntegrationTest
class RateLimitTest {

    @LocalServerPort
    int port;

    @Test
    void aKeyOverItsLimitGets429WithRetryAfterWhileAnotherKeyIsServed() {
        ApiClient admin = new ApiClient(port, TestSecurity.roles(Role.ADMIN));
        ApiClient busy = new ApiClient(port, TestSecurity.apiKey(createKey(admin, "busy")));
        ApiClient quiet = new ApiClient(port, TestSecurity.apiKey(createKey(admin, "quiet")));

        // Two a minute: a spent token comes back after 30 s, far longer than these requests take.
        for (int i = 0; i < 2; i++) {
            Answer answer = busy.get("/api/v1/models");
            assertThat(answer.status()).as("request " + (i + 1)).isEqualTo(200);
            assertThat(answer.headers().getFirst("RateLimit-Remaining")).isEqualTo(Integer.toString(1 - i));
        }
        Answer limited = busy.get("/api/v1/models");
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.contentType()).startsWith("application/problem+json");
        assertThat(limited.body().path("type").asString()).isEqualTo("urn:chestlens:problem:rate-limited");
        long retryAfter = Long.parseLong(limited.headers().getFirst("Retry-After"));
        assertThat(retryAfter).isBetween(1L, 30L);

        assertThat(quiet.get("/api/v1/models").status()).isEqualTo(200);
        // The limit is per caller, not per endpoint: the busy key is limited everywhere.
        assertThat(busy.get("/api/v1/predictions?limit=1").status()).isEqualTo(429);
    }

    private static String createKey(ApiClient admin, String purpose) {
        Answer created = admin.postJson("/api/v1/api-keys", Map.of("name", purpose + "-" + UUID.randomUUID(),
                "roles", List.of("reader"), "rateLimitPerMinute", 2));
        assertThat(created.status()).isEqualTo(201);
        return created.body().path("key").asString();
    }
}
