package org.chestlens.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestSecurity;
import org.chestlens.platform.RawHttp.Request;
import org.chestlens.platform.RawHttp.Response;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;

/**
 * Requests that once answered 500 (or a 4xx that was no problem+json): errors the container or
 * Spring raise before our code runs. Each is a named case, sent byte for byte; the first came from
 * an attacker's probe (issue 24), the others from {@link ContractFuzzTest}.
 */
@ChestlensIntegrationTest
class HostileRequestTest {

    private static final String TOKEN = TestSecurity.allRoles().getFirst(HttpHeaders.AUTHORIZATION);

    @LocalServerPort
    int port;

    record Case(String name, Request request, int status, String type) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        String image = UUID.randomUUID().toString();
        return Stream.of(
                new Case("query parameter that is not UTF-8 (NUL, 0xFF)",
                        get("/api/v1/predictions?cursor=%00%ff"), 400, "invalid-parameter"),
                new Case("invalid percent-escape in a query parameter",
                        get("/api/v1/predictions?limit=%zz"), 400, "invalid-parameter"),
                new Case("query parameter that is not a number",
                        get("/api/v1/predictions?limit=abc"), 400, "invalid-parameter"),
                new Case("required query parameter missing",
                        get("/api/v1/evaluations"), 400, "invalid-parameter"),
                new Case("method the endpoint does not take",
                        send("PATCH", "/api/v1/predictions", Map.of(), null), 405, "method-not-allowed"),
                new Case("unknown method (refused by Spring Security's firewall)",
                        send("FOO", "/api/v1/predictions", Map.of(), null), 400, "unreadable-request"),
                new Case("media type the endpoint does not take",
                        send("POST", "/api/v1/webhooks", Map.of("Content-Type", "text/plain"), "x"),
                        415, "unsupported-media-type"),
                new Case("unparseable Content-Type",
                        send("POST", "/api/v1/webhooks", Map.of("Content-Type", "///"), "{}"),
                        415, "unsupported-media-type"),
                new Case("form body on PUT (parsed by no filter)",
                        send("PUT", "/api/v1/images/" + image + "/labels/reference",
                                Map.of("Content-Type", "application/x-www-form-urlencoded"), "a=%zz&b=%ff"),
                        415, "unsupported-media-type"),
                new Case("Accept the endpoint cannot produce",
                        send("GET", "/api/v1/models", Map.of("Accept", "application/xml"), null), 406, "not-acceptable"),
                new Case("malformed JSON body",
                        send("POST", "/api/v1/webhooks", Map.of("Content-Type", "application/json"), "{"),
                        400, "invalid-body"),
                new Case("JSON field of the wrong type",
                        send("PUT", "/api/v1/images/" + image + "/labels/reference",
                                Map.of("Content-Type", "application/json"), "{\"label\":[]}"), 400, "invalid-body"),
                new Case("no such endpoint",
                        get("/api/v1/nothing-here"), 404, "not-found"),
                new Case("path segment that is not UTF-8 (refused by Tomcat before any servlet)",
                        get("/api/v1/images/%ff"), 400, "unreadable-request"),
                new Case("backslash in the path (refused by Tomcat's request-line parser)",
                        get("/api/v1/webhooks/\\"), 400, "unreadable-request"),
                new Case("bracket in the query (refused by Tomcat's request-line parser)",
                        get("/api/v1/predictions?[]=1"), 400, "unreadable-request"),
                new Case("date-time filter beyond any timestamp",
                        get("/api/v1/predictions?createdTo=-999999999-01-01T00:00:00Z"), 200, null),
                new Case("NUL in a text filter (PostgreSQL text holds no NUL)",
                        get("/api/v1/audit-events?action=2026-01-01T00:00:00Z%00"), 400, "invalid-parameter"),
                new Case("NUL in a repeated text parameter",
                        get("/api/v1/evaluations?modelId=fuzz-model&modelVersion=&modelVersion=a%00b"), 400,
                        "invalid-parameter"),
                new Case("API key expiring beyond any timestamp",
                        send("POST", "/api/v1/api-keys", Map.of("Content-Type", "application/json"),
                                "{\"name\":\"hostile-" + image + "\",\"roles\":[\"reader\"],"
                                        + "\"expiresAt\":\"+999999999-12-31T23:59:59Z\"}"), 400, "invalid-parameter"),
                new Case("Accept header that cannot be parsed",
                        send("GET", "/api/v1/webhooks/" + image, Map.of("Accept", "*/*;q=abc"), null), 404, "not-found"),
                new Case("a decimal where a class index is expected (was read as 2)",
                        send("PUT", "/api/v1/images/" + image + "/labels/reference",
                                Map.of("Content-Type", "application/json"), "{\"label\":2.9}"), 400, "invalid-body"),
                new Case("a number where a yes or no is expected (was read as true)",
                        send("PATCH", "/api/v1/webhooks/" + image, Map.of("Content-Type", "application/json"),
                                "{\"active\":12345}"), 400, "invalid-body"),
                new Case("a number where text is expected (was read as the text)",
                        send("POST", "/api/v1/images/search", Map.of("Content-Type", "application/json"),
                                "{\"studyInstanceUid\":12345}"), 400, "invalid-body"),
                new Case("a text where a number is expected",
                        send("POST", "/api/v1/api-keys", Map.of("Content-Type", "application/json"),
                                "{\"name\":\"strict-" + image + "\",\"roles\":[\"reader\"],\"rateLimitPerMinute\":\"60\"}"),
                        400, "invalid-body"),
                new Case("a null among an API key's roles",
                        send("POST", "/api/v1/api-keys", Map.of("Content-Type", "application/json"),
                                "{\"name\":\"hostile-null-" + image + "\",\"roles\":[null]}"), 400, "unknown-role"),
                new Case("the container's error path asked for directly",
                        get("/error"), 404, "not-found"),
                new Case("transfer coding the server does not know (answered by Tomcat before any servlet)",
                        send("GET", "/api/v1/models", Map.of("Transfer-Encoding", "bogus"), null), 501,
                        "unreadable-request"),
                new Case("HTTP version the server does not speak (answered by Tomcat before any servlet)",
                        new Request("GET", "/api/v1/models", Map.of("Authorization", TOKEN), null, "HTTP/2.0"), 505,
                        "unreadable-request"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void answersTheRightProblem(Case hostile) {
        Response response = new RawHttp(port, 15_000).send(hostile.request());
        assertThat(response.status()).as(hostile.name() + ": " + response.text()).isEqualTo(hostile.status());
        if (hostile.type() == null) {
            return;
        }
        assertThat(response.contentType()).as(hostile.name() + ": " + response.text()).startsWith("application/problem+json");
        assertThat(response.problemType()).as(hostile.name()).isEqualTo(ApiProblem.TYPE_PREFIX + hostile.type());
    }

    private static Request get(String target) {
        return send("GET", target, Map.of(), null);
    }

    private static Request send(String method, String target, Map<String, String> headers, String body) {
        Map<String, String> all = new java.util.LinkedHashMap<>(headers);
        all.put("Authorization", TOKEN);
        return new Request(method, target, all, body == null ? null : body.getBytes(StandardCharsets.ISO_8859_1));
    }
}
