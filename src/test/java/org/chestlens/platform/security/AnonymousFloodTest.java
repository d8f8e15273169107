package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

/**
 * 1,000 requests with random API keys from one client address (behind a trusted proxy): after the
 * address's few failures, 429 without a key lookup, and the audit trail holds a handful of rows.
 */
@ChestlensIntegrationTest
@TestPropertySource(properties = {"chestlens.security.anonymous-limit.failures-per-minute=" + AnonymousFloodTest.LIMIT,
        "chestlens.security.anonymous-limit.trusted-proxies=127.0.0.1"})
@Import(AnonymousFloodTest.CountingLookup.class)
class AnonymousFloodTest {

    static final int LIMIT = 5;
    static final AtomicInteger lookups = new AtomicInteger();

    /** Every key lookup is one api_key query; counted here, in front of the real store. */
    @TestConfiguration(proxyBeanMethods = false)
    static class CountingLookup {
        @Bean
        @Primary
        ApiKeyLookup countingApiKeyLookup(ApiKeys keys) {
            return (secret, now) -> {
                lookups.incrementAndGet();
                return keys.validKey(secret, now);
            };
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    RefusalTally refusals;

    @Test
    void aFloodOfRandomKeysIsRefusedWithoutDatabaseWorkAndAuditedAsOneRow() {
        String attacker = "203.0.113." + (1 + (int) (Math.random() * 250));
        HttpHeaders valid = TestSecurity.roles(Role.READER);
        valid.set("X-Forwarded-For", attacker);
        ApiClient client = new ApiClient(port);
        // A credential accepted before the flood keeps being served from the same address (a shared NAT).
        assertThat(client.send(HttpMethod.GET, "/api/v1/models", valid, null, null).status()).isEqualTo(200);
        long lastAuditId = jdbc.sql("SELECT coalesce(max(id), 0) FROM audit_event").query(Long.class).single();
        int lookupsBefore = lookups.get();

        int unauthorized = 0;
        int limited = 0;
        for (int i = 0; i < 1000; i++) {
            Answer answer = client.send(HttpMethod.GET, "/api/v1/models", randomKey(attacker), null, null);
            if (i < LIMIT) {
                assertThat(answer.status()).as("request " + (i + 1)).isEqualTo(401);
                unauthorized++;
                continue;
            }
            assertThat(answer.status()).as("request " + (i + 1)).isEqualTo(429);
            assertThat(answer.contentType()).startsWith("application/problem+json");
            assertThat(answer.body().path("type").asString()).isEqualTo("urn:chestlens:problem:rate-limited");
            assertThat(Long.parseLong(answer.headers().getFirst("Retry-After"))).isBetween(1L, 60L);
            limited++;
            if (i == LIMIT) {
                assertThat(lookups.get() - lookupsBefore).as("lookups up to the limit").isEqualTo(LIMIT);
            }
        }
        assertThat(unauthorized).isEqualTo(LIMIT);
        assertThat(limited).isEqualTo(1000 - LIMIT);
        assertThat(lookups.get() - lookupsBefore).as("key lookups for the whole flood").isEqualTo(LIMIT);

        assertThat(client.send(HttpMethod.GET, "/api/v1/models", valid, null, null).status()).isEqualTo(200);
        // Another address behind the same proxy is not affected (which hop counts: AnonymousLimitFilterTest).
        assertThat(client.send(HttpMethod.GET, "/api/v1/models", randomKey("198.51.100.9"), null, null).status())
                .isEqualTo(401);

        refusals.flush();
        long rows = jdbc.sql("SELECT count(*) FROM audit_event WHERE id > :last AND remote_address = :attacker")
                .param("last", lastAuditId).param("attacker", attacker).query(Long.class).single();
        // The refusals before the limit, one row counting the rest, and the valid requests around the flood
        // (their rows are written once the answer is sent, so one may or may not be in yet).
        assertThat(rows).isBetween(LIMIT + 1L, LIMIT + 3L);
        long denied = jdbc.sql("""
                        SELECT count(*) FROM audit_event WHERE id > :last AND remote_address = :attacker
                           AND status = 401 AND outcome = 'denied'""")
                .param("last", lastAuditId).param("attacker", attacker).query(Long.class).single();
        assertThat(denied).isEqualTo(LIMIT);
        Optional<Integer> repeated = jdbc.sql("""
                        SELECT repeated FROM audit_event WHERE id > :last AND remote_address = :attacker
                           AND action = 'anonymous-rate-limited' AND status = 429 AND outcome = 'rejected'""")
                .param("last", lastAuditId).param("attacker", attacker).query(Integer.class).optional();
        assertThat(repeated).contains(1000 - LIMIT);
        // Admins see the count through the audit API.
        Answer events = new ApiClient(port, TestSecurity.roles(Role.ADMIN))
                .get("/api/v1/audit-events?action=anonymous-rate-limited&limit=100");
        assertThat(events.status()).isEqualTo(200);
        assertThat(events.body().path("events").valueStream()
                .filter(e -> attacker.equals(e.path("remoteAddress").asString()))
                .map(e -> e.path("repeated").asInt())).containsExactly(1000 - LIMIT);
    }

    private static HttpHeaders randomKey(String address) {
        HttpHeaders headers = TestSecurity.apiKey(ApiKeys.KEY_PREFIX + UUID.randomUUID().toString().replace("-", ""));
        headers.set("X-Forwarded-For", address);
        return headers;
    }
}
