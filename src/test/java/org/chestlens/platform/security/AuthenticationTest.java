package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Tokens from the (test) identity provider, API keys from the admin API, public probes, headers. */
@ChestlensIntegrationTest
class AuthenticationTest {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    private ApiClient as(HttpHeaders credentials) {
        return new ApiClient(port, credentials);
    }

    @Test
    void tokensAreCheckedForSignatureIssuerAndExpiry() {
        assertThat(as(TestSecurity.roles(Role.READER)).get("/api/v1/predictions?limit=1").status()).isEqualTo(200);

        String expired = TestSecurity.token("alice", TestSecurity.ISSUER, Instant.now().minusSeconds(600), Role.READER);
        String otherIssuer = TestSecurity.token("alice", "https://elsewhere.invalid", Instant.now().plusSeconds(600),
                Role.READER);
        String valid = TestSecurity.token("alice", Role.READER);
        String tampered = valid.substring(0, valid.lastIndexOf('.') + 1) + "AAAA" + valid.substring(valid.lastIndexOf('.') + 5);
        String neverExpires = TestSecurity.token("alice", TestSecurity.ISSUER, null, Role.READER);
        for (String token : List.of(expired, otherIssuer, tampered, neverExpires, "not-a-jwt")) {
            Answer answer = as(TestSecurity.bearer(token)).get("/api/v1/predictions?limit=1");
            assertThat(answer.status()).as(token).isEqualTo(401);
            assertThat(answer.contentType()).startsWith("application/problem+json");
            assertThat(answer.body().path("type").asString()).isEqualTo("urn:chestlens:problem:unauthorized");
        }
        // A token without any of our roles is authenticated but may do nothing.
        assertThat(as(TestSecurity.roles()).get("/api/v1/predictions?limit=1").status()).isEqualTo(403);
    }

    @Test
    void anApiKeyWorksWithItsRolesUntilRevokedAndOnlyItsHashIsStored() {
        ApiClient admin = as(TestSecurity.roles(Role.ADMIN));
        String name = "engine-" + UUID.randomUUID().toString().substring(0, 8);
        Answer created = admin.postJson("/api/v1/api-keys", Map.of("name", name, "roles", List.of("submitter", "reader")));
        assertThat(created.status()).isEqualTo(201);
        String key = created.body().path("key").asString();
        String id = created.body().path("apiKey").path("id").asString();
        assertThat(key).startsWith("clk_").hasSizeGreaterThan(40);
        assertThat(created.headers().getLocation()).hasToString("/api/v1/api-keys/" + id);

        ApiClient engine = as(TestSecurity.apiKey(key));
        assertThat(engine.get("/api/v1/predictions?limit=1").status()).isEqualTo(200);
        assertThat(engine.get("/api/v1/evaluations").status()).isEqualTo(403);
        assertThat(engine.get("/api/v1/api-keys").status()).isEqualTo(403);

        // Shown once: neither the list nor the database holds the key itself.
        StringBuilder listed = new StringBuilder();
        String cursor = "";
        int pages = 0;
        do { // pages of two, oldest first, until the cursor runs out
            Answer page = admin.get("/api/v1/api-keys?limit=2" + (cursor.isEmpty() ? "" : "&cursor=" + cursor));
            assertThat(page.body().path("items").size()).isBetween(1, 2);
            listed.append(page.body().path("items"));
            cursor = page.body().path("nextCursor").asString("");
            pages++;
        } while (!cursor.isEmpty() && pages < 1000);
        assertThat(listed.toString()).contains(name).doesNotContain(key);
        assertThat(jdbc.sql("SELECT count(*) FROM api_key WHERE name = :name AND key_hash = sha256(convert_to(:key, 'UTF8'))")
                .param("name", name).param("key", key).query(Long.class).single()).isEqualTo(1L);
        assertThat(jdbc.sql("SELECT count(*) FROM api_key WHERE position(:key in concat_ws(' ', name, key_prefix, "
                + "created_by, revoked_by)) > 0").param("key", key).query(Long.class).single()).isZero();

        assertThat(admin.postJson("/api/v1/api-keys", Map.of("name", name, "roles", List.of("reader"))).status())
                .isEqualTo(409);
        assertThat(admin.postJson("/api/v1/api-keys", Map.of("name", name + "x", "roles", List.of("superuser")))
                .status()).isEqualTo(400);

        assertThat(admin.send(HttpMethod.DELETE, "/api/v1/api-keys/" + id, new HttpHeaders(), null, null).status())
                .isEqualTo(204);
        Answer revoked = engine.get("/api/v1/predictions?limit=1");
        assertThat(revoked.status()).isEqualTo(401);
        assertThat(revoked.body().path("detail").asString()).contains("API key");
        assertThat(as(TestSecurity.apiKey("clk_" + "x".repeat(43))).get("/api/v1/models").status()).isEqualTo(401);
    }

    @Test
    void probesArePublicOperationalEndpointsAreForAdmins() {
        ApiClient anonymous = as(new HttpHeaders());
        assertThat(anonymous.get("/actuator/health/liveness").status()).isEqualTo(200);
        assertThat(anonymous.get("/actuator/health/readiness").status()).isEqualTo(200);
        assertThat(anonymous.get("/v3/api-docs").status()).isEqualTo(200); // chestlens.security.openapi-public
        assertThat(anonymous.get("/actuator/prometheus").status()).isEqualTo(401);
        assertThat(anonymous.get("/actuator/metrics").status()).isEqualTo(401);
        assertThat(as(TestSecurity.roles(Role.READER)).get("/actuator/metrics").status()).isEqualTo(403);
        assertThat(as(TestSecurity.roles(Role.ADMIN)).get("/actuator/metrics").status()).isEqualTo(200);
        // Health details only for admins.
        assertThat(anonymous.get("/actuator/health").body().has("components")).isFalse();
        assertThat(as(TestSecurity.roles(Role.ADMIN)).get("/actuator/health").body().has("components")).isTrue();
        // Unknown API paths: 401 for strangers, 404 for callers.
        assertThat(anonymous.get("/api/v1/nothing-here").status()).isEqualTo(401);
        assertThat(as(TestSecurity.roles(Role.READER)).get("/api/v1/nothing-here").status()).isEqualTo(404);
    }

    @Test
    void securityHeadersAreOnEveryAnswer() {
        for (Answer answer : List.of(as(TestSecurity.roles(Role.READER)).get("/api/v1/predictions?limit=1"),
                as(new HttpHeaders()).get("/api/v1/predictions"),
                as(new HttpHeaders()).get("/actuator/health"))) {
            HttpHeaders headers = answer.headers();
            assertThat(headers.getFirst("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(headers.getFirst("X-Frame-Options")).isEqualTo("DENY");
            assertThat(headers.getFirst("Content-Security-Policy")).contains("frame-ancestors 'none'");
            assertThat(headers.getFirst("Referrer-Policy")).isEqualTo("no-referrer");
            assertThat(headers.getFirst("Cache-Control")).contains("no-store");
            assertThat(headers.getFirst("Permissions-Policy")).contains("camera=()");
        }
    }
}
