package org.chestlens.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Matcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestSecurity;
import org.chestlens.platform.RawHttp.Request;
import org.chestlens.platform.RawHttp.Response;
import org.chestlens.platform.security.Role;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;

/**
 * Hostile input for every operation of the published contract (openapi/openapi.yaml): each
 * parameter and each field of each request body gets values made from its schema (wrong types,
 * invalid UTF-8 and NUL as raw percent-escapes, over-long strings, out-of-range numbers, empty and
 * repeated parameters), each body is also sent malformed and under wrong content types, each path
 * with methods it does not take. The credential holds a role the operation requires, so the
 * requests reach the endpoints. Every answer must be 2xx, or a 4xx that is problem+json with a
 * {@code urn:chestlens:problem:} type (or what the contract documents for that status, such as
 * STOW-RS's DICOM JSON); never a 5xx, never silence.
 *
 * <p>Seeded: {@code -Dchestlens.fuzz.seed=N} replays a run, {@code -Dchestlens.fuzz.requests=N}
 * sends more. Every input that once failed is a named case in {@link HostileRequestTest}.
 * Nothing it sends can be stored: ids are random, models and images unknown, and the few requests
 * that are valid (a webhook or API key with one odd field) are deleted again at once.
 */
@ChestlensIntegrationTest
class ContractFuzzTest {

    private static final long DEFAULT_SEED = 20261206L;
    private static final Duration TIME_LIMIT = Duration.ofSeconds(Long.getLong("chestlens.fuzz.seconds", 90));
    private static final String FAKE_MODEL = "fuzz-model-" + UUID.randomUUID().toString().substring(0, 8);

    @LocalServerPort
    int port;

    /** One operation of the contract, with what the fuzzer varies. */
    record Operation(String method, String path, Role role, List<JsonNode> parameters, Map<String, JsonNode> bodies,
                     JsonNode responses) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    /** What one request varies: a parameter, a body field, the whole body, a header, the method. */
    record Target(Operation operation, String kind, String name, JsonNode schema) {
        @Override
        public String toString() {
            return operation + " " + kind + " " + name;
        }
    }

    @Test
    void noHostileInputGetsA5xxOrNoAnswer() throws IOException {
        long seed = Long.getLong("chestlens.fuzz.seed", DEFAULT_SEED);
        int requests = Integer.getInteger("chestlens.fuzz.requests", 2000);
        System.out.println("ContractFuzzTest seed " + seed + " (replay with -Dchestlens.fuzz.seed=" + seed + ")");
        Random random = new Random(seed);
        JsonNode contract = new ObjectMapper(new YAMLFactory()).readTree(Path.of("openapi/openapi.yaml").toFile());
        List<Operation> operations = operations(contract);
        List<Target> targets = new ArrayList<>();
        operations.forEach(operation -> targets.addAll(targets(operation, contract)));
        assertThat(operations).hasSizeGreaterThanOrEqualTo(20);

        RawHttp http = new RawHttp(port, 15_000);
        Hostile hostile = new Hostile(random);
        List<String> failures = new ArrayList<>();
        Map<Integer, Integer> statuses = new TreeMap<>();
        long started = System.nanoTime();
        int sent = 0;
        for (; sent < requests; sent++) {
            if (System.nanoTime() - started > TIME_LIMIT.toNanos()) {
                break;
            }
            // Round-robin over the targets, so every one gets its share; the value is drawn at random.
            Target target = targets.get(sent % targets.size());
            Request request = request(target, hostile, random, contract);
            Response response = http.send(request);
            statuses.merge(response.status(), 1, Integer::sum);
            String problem = check(target.operation(), response);
            if (problem != null) {
                failures.add("#" + sent + " " + target + ": " + problem + "\n    " + request.describe()
                        + "\n    -> " + response.status() + " " + response.contentType() + " "
                        + RawHttp.abbreviate(response.text(), 300));
            }
            cleanUp(target.operation(), response);
        }
        java.nio.file.Files.createDirectories(Path.of("target"));
        java.nio.file.Files.write(Path.of("target/contract-fuzz-failures.txt"), failures);
        long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        long parameters = targets.stream().filter(t -> t.kind().equals("parameter") || t.kind().equals("field")).count();
        System.out.printf("ContractFuzzTest: %d operations, %d parameters and body fields, %d targets; %d requests in "
                        + "%d ms (seed %d); statuses %s; %d failures%n", operations.size(), parameters, targets.size(),
                sent, millis, seed, statuses, failures.size());
        assertThat(sent).as("requests sent within " + TIME_LIMIT).isGreaterThanOrEqualTo(Math.min(requests, targets.size()));
        assertThat(failures.size()).as("answers that are 5xx, no answer, or a 4xx without a chestlens problem type (seed "
                + seed + "); the first 30 of " + failures.size() + ":\n" + String.join("\n", failures.subList(0,
                Math.min(30, failures.size())))).isEqualTo(0);
    }

    /** null when the answer is one the contract allows. */
    private static String check(Operation operation, Response response) {
        int status = response.status();
        if (status < 0) {
            return "no answer";
        }
        if (status >= 500) {
            return "server error";
        }
        if (status >= 200 && status < 300) {
            return null;
        }
        if (status < 400) {
            return "unexpected status";
        }
        if (response.isProblem() && response.problemType() != null
                && response.problemType().startsWith(ApiProblem.TYPE_PREFIX)) {
            return null;
        }
        JsonNode documented = operation.responses().path(Integer.toString(status)).path("content");
        for (Iterator<String> types = documented.fieldNames(); types.hasNext(); ) {
            String type = types.next();
            if (!type.equals("application/problem+json") && response.contentType().startsWith(type)) {
                return null;
            }
        }
        return "4xx that is no chestlens problem";
    }

    /** A valid request that the fuzzer created (a webhook, an API key) is removed again at once. */
    private void cleanUp(Operation operation, Response response) throws IOException {
        if (response.status() != 201 || !operation.method().equals("POST") || !response.contentType().contains("json")) {
            return;
        }
        JsonNode created = new ObjectMapper().readTree(response.body()).findValue("id");
        String id = created == null ? "" : created.asText();
        if (operation.path().equals("/api/v1/webhooks") || operation.path().equals("/api/v1/api-keys")) {
            assertThat(new ApiClient(port).delete(operation.path() + "/" + id).status()).isLessThan(300);
        }
    }

    // ---- the contract ----

    private static List<Operation> operations(JsonNode contract) {
        List<Operation> operations = new ArrayList<>();
        contract.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            JsonNode operation = op.getValue();
            // The same roles AllOperationsSecurityTest checks: the contract's x-required-roles.
            Role role = Role.valueOf(operation.path("x-required-roles").path(0).asText().toUpperCase(Locale.ROOT));
            List<JsonNode> parameters = new ArrayList<>();
            operation.path("parameters").forEach(parameters::add);
            Map<String, JsonNode> bodies = new LinkedHashMap<>();
            operation.path("requestBody").path("content").fields().forEachRemaining(content ->
                    bodies.put(content.getKey(), content.getValue()));
            operations.add(new Operation(op.getKey().toUpperCase(Locale.ROOT), path.getKey(), role, parameters, bodies,
                    operation.path("responses")));
        }));
        return operations;
    }

    private static List<Target> targets(Operation operation, JsonNode contract) {
        List<Target> targets = new ArrayList<>();
        for (JsonNode parameter : operation.parameters()) {
            targets.add(new Target(operation, "parameter", parameter.path("name").asText(), parameter));
        }
        operation.bodies().forEach((type, content) -> {
            targets.add(new Target(operation, "body", type, content));
            targets.add(new Target(operation, "content-type", type, content));
            if (content.has("example")) {
                for (String field : fieldPaths(content.path("example"), "")) {
                    targets.add(new Target(operation, "field", type + " " + field, content));
                }
            }
            if (type.equals("multipart/form-data")) {
                JsonNode properties = resolve(content.path("schema"), contract).path("properties");
                properties.fieldNames().forEachRemaining(part ->
                        targets.add(new Target(operation, "field", type + " " + part, properties.path(part))));
            }
        });
        targets.add(new Target(operation, "query", "unknown, repeated and empty parameters", null));
        targets.add(new Target(operation, "header", "Accept and other headers", null));
        targets.add(new Target(operation, "method", "methods the path does not take", null));
        return targets;
    }

    private static JsonNode resolve(JsonNode schema, JsonNode contract) {
        String ref = schema.path("$ref").asText("");
        return ref.isEmpty() ? schema : contract.at(ref.substring(1));
    }

    /** JSON pointers of every field of an example (an array's first element stands for all). */
    private static List<String> fieldPaths(JsonNode node, String prefix) {
        List<String> paths = new ArrayList<>();
        if (node.isObject()) {
            node.fields().forEachRemaining(field -> {
                String pointer = prefix + "/" + field.getKey();
                paths.add(pointer);
                paths.addAll(fieldPaths(field.getValue(), pointer));
            });
        } else if (node.isArray() && !node.isEmpty()) {
            paths.add(prefix + "/0");
            paths.addAll(fieldPaths(node.get(0), prefix + "/0"));
        }
        return paths;
    }

    // ---- requests ----

    private Request request(Target target, Hostile hostile, Random random, JsonNode contract) {
        Operation operation = target.operation();
        Map<String, String> pathValues = new LinkedHashMap<>();
        Map<String, List<String>> query = new LinkedHashMap<>();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + token(operation.role()));
        for (JsonNode parameter : operation.parameters()) {
            String name = parameter.path("name").asText();
            String in = parameter.path("in").asText();
            if (in.equals("path")) {
                pathValues.put(name, validValue(name, parameter.path("schema")));
            } else if (in.equals("query") && parameter.path("required").asBoolean()) {
                query.put(name, new ArrayList<>(List.of(validValue(name, parameter.path("schema")))));
            }
        }
        String method = operation.method();
        String bodyType = operation.bodies().isEmpty() ? null : operation.bodies().keySet().iterator().next();
        byte[] body = bodyType == null ? null : validBody(bodyType, operation.bodies().get(bodyType));
        String contentType = bodyType == null ? null : contentTypeOf(bodyType);

        switch (target.kind()) {
            case "parameter" -> {
                JsonNode parameter = target.schema();
                String name = parameter.path("name").asText();
                String value = hostile.value(parameter.path("schema"));
                switch (parameter.path("in").asText()) {
                    case "path" -> pathValues.put(name, hostile.pathValue(parameter.path("schema")));
                    case "header" -> headers.put(name, hostile.headerValue());
                    default -> {
                        List<String> values = new ArrayList<>(List.of(value));
                        if (random.nextInt(5) == 0) {
                            values.add(hostile.value(parameter.path("schema"))); // the parameter twice
                        }
                        query.put(name, values);
                    }
                }
            }
            case "body" -> {
                bodyType = target.name();
                contentType = contentTypeOf(bodyType);
                body = hostile.body(bodyType);
                if (bodyType.startsWith("multipart/") && random.nextBoolean()) {
                    contentType = hostile.multipartContentType(bodyType);
                    body = validBody(bodyType, operation.bodies().get(bodyType));
                }
            }
            case "content-type" -> {
                String[] wrong = hostile.wrongContentType();
                contentType = wrong[0];
                body = wrong[1] == null ? body : wrong[1].getBytes(StandardCharsets.ISO_8859_1);
            }
            case "field" -> {
                bodyType = target.name().substring(0, target.name().indexOf(' '));
                String field = target.name().substring(bodyType.length() + 1);
                contentType = contentTypeOf(bodyType);
                body = bodyType.equals("multipart/form-data") ? hostile.formData(field)
                        : hostile.jsonWithField(operation.bodies().get(bodyType).path("example"), field,
                        ContractFuzzTest::safe);
            }
            case "query" -> {
                String name = operation.parameters().stream().filter(p -> p.path("in").asText().equals("query"))
                        .map(p -> p.path("name").asText()).findAny().orElse("unknown");
                switch (random.nextInt(4)) {
                    case 0 -> query.put(name, new ArrayList<>(List.of("", "")));
                    case 1 -> query.put(hostile.value(null), new ArrayList<>(List.of(hostile.value(null))));
                    case 2 -> query.put(name + "%00", new ArrayList<>(List.of("1")));
                    default -> query.put(name, new ArrayList<>(List.of("1", "2", "", hostile.value(null))));
                }
            }
            case "header" -> headers.putAll(hostile.headers());
            case "method" -> method = hostile.method(method);
            default -> throw new IllegalStateException(target.kind());
        }
        StringBuilder target0 = new StringBuilder();
        Matcher variable = java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(operation.path());
        while (variable.find()) {
            variable.appendReplacement(target0, Matcher.quoteReplacement(pathValues.get(variable.group(1))));
        }
        variable.appendTail(target0);
        StringBuilder queryString = new StringBuilder();
        query.forEach((name, values) -> values.forEach(value ->
                queryString.append(queryString.isEmpty() ? '?' : '&').append(name).append('=').append(value)));
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
        return new Request(method, target0 + queryString.toString(), headers, body);
    }

    private final Map<Role, String> tokens = new LinkedHashMap<>();

    private String token(Role role) {
        return tokens.computeIfAbsent(role, r -> TestSecurity.roles(r).getFirst(HttpHeaders.AUTHORIZATION)
                .substring("Bearer ".length()));
    }

    /** A valid value that names nothing stored: random ids, an unknown model. */
    private static String validValue(String name, JsonNode schema) {
        if (schema.path("format").asText().equals("uuid")) {
            return UUID.randomUUID().toString();
        }
        if (name.equals("study")) {
            return "1.2.826.0.1.3680043.9." + Math.abs(UUID.randomUUID().getMostSignificantBits() % 1_000_000);
        }
        return name.toLowerCase(Locale.ROOT).contains("model") ? FAKE_MODEL : "fuzz-" + UUID.randomUUID().toString()
                .substring(0, 8);
    }

    /** The contract's example with everything that could name stored data replaced: nothing valid is touched. */
    private static JsonNode safe(JsonNode example) {
        JsonNode copy = example.deepCopy();
        replaceIds(copy);
        return copy;
    }

    private static void replaceIds(JsonNode node) {
        if (node instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                JsonNode value = object.get(name);
                if (value.isTextual() && name.equals("modelId")) {
                    object.put(name, FAKE_MODEL);
                } else if (value.isTextual() && name.equals("name")) {
                    object.put(name, "fuzz-" + UUID.randomUUID());
                } else if (value.isTextual() && isUuid(value.asText())) {
                    object.put(name, UUID.randomUUID().toString());
                } else {
                    replaceIds(value);
                }
            }
        } else if (node.isArray()) {
            node.forEach(ContractFuzzTest::replaceIds);
        }
    }

    private static boolean isUuid(String text) {
        try {
            return UUID.fromString(text).toString().equalsIgnoreCase(text);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String contentTypeOf(String bodyType) {
        return switch (bodyType) {
            case "multipart/form-data" -> "multipart/form-data; boundary=" + Hostile.BOUNDARY;
            case "multipart/related" -> "multipart/related; type=\"application/dicom\"; boundary=" + Hostile.BOUNDARY;
            default -> bodyType;
        };
    }

    private static byte[] validBody(String bodyType, JsonNode content) {
        return switch (bodyType) {
            case "application/json" -> safe(content.path("example")).toString().getBytes(StandardCharsets.UTF_8);
            case "text/csv" -> ("image,label\n" + UUID.randomUUID() + ",1\n").getBytes(StandardCharsets.UTF_8);
            case "multipart/form-data" -> Hostile.multipart(List.of(
                    Hostile.part("Content-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n"
                            + "Content-Type: image/png", "not an image".getBytes(StandardCharsets.UTF_8))));
            case "multipart/related" -> Hostile.multipart(List.of(
                    Hostile.part("Content-Type: application/dicom", "not DICOM".getBytes(StandardCharsets.UTF_8))));
            default -> new byte[0];
        };
    }

    /** The hostile values, drawn from a seeded generator. */
    static final class Hostile {

        static final String BOUNDARY = "fuzzboundary";

        /** Raw query or path text (already percent-encoded, or deliberately not). */
        private static final List<String> ANY = List.of("", "%00", "%ff", "%c3%28", "%ed%a0%80", "%f4%90%80%80",
                "%e2%82", "%zz", "%", "%2", "a%00b", "%0d%0aX-Injected:%20yes", "%27%20OR%201%3D1--", "%22%3E%3Cx%3E",
                "%E2%80%AE", "%F0%9F%98%80", "%EF%BB%BF", "..%2F..%2Fetc%2Fpasswd", "null", "[]", "%7B%7D", "true",
                "%C0%AE", "%u0041", "+", "%2B", "%20", "a+b", "%09", "%7F", "%C2%A0", "%EF%BF%BF", "\\", "%5C%5C");
        private static final List<String> NUMBERS = List.of("-1", "0", "-2147483649", "2147483648",
                "9223372036854775808", "-9223372036854775809", "99999999999999999999999999", "1e309", "-1e309", "NaN",
                "Infinity", "-Infinity", "1.5", "0x1F", "%2B1", "%201", "1%00", "%EF%BC%91", "1,2", "1e2", "-0", "0.0",
                "1.0000000000000002", "4.9e-324", "1_000", "0b1");
        private static final List<String> DATES = List.of("2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                "%2B999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "1970-01-01", "0",
                "9999-12-31T23:59:59.999999999Z", "2026-01-01T00:00:00%2B25:00", "2026-01-01T24:00:00Z",
                "2026-01-01T00:00:00", "yesterday", "1735689600", "2026-01-01T00:00:00Z%00");
        private static final List<String> PATHS = List.of("%00", "%ff", "%zz", "%2F", "..", "%2e%2e", ".", "a%3Bb",
                "x;jsessionid=1", "%5C", "%20", "%c3%28", "%E2%80%AE", "-1", "00000000-0000-0000-0000-000000000000",
                "ffffffff-ffff-ffff-ffff-ffffffffffff", "not-a-uuid", "%7Bid%7D", "*", "~", "%25", "%2500", "a%0Ab");

        private final Random random;

        Hostile(Random random) {
            this.random = random;
        }

        private <T> T pick(List<T> values) {
            return values.get(random.nextInt(values.size()));
        }

        private String longText(int max) {
            int length = 200 + random.nextInt(max);
            return (random.nextBoolean() ? "a" : "%41").repeat(length / (random.nextBoolean() ? 1 : 3));
        }

        /** A query value for a parameter of this schema. */
        String value(JsonNode schema) {
            String type = schema == null ? "" : schema.path("type").asText();
            String format = schema == null ? "" : schema.path("format").asText();
            int choice = random.nextInt(10);
            if (choice == 0) {
                return longText(3000);
            }
            if (choice < 4 || schema == null) {
                return pick(ANY);
            }
            if (type.equals("integer") || type.equals("number")) {
                if (schema.has("maximum") && random.nextBoolean()) {
                    long bound = random.nextBoolean() ? schema.path("maximum").asLong() + 1
                            : schema.path("minimum").asLong() - 1;
                    return Long.toString(bound);
                }
                return pick(NUMBERS);
            }
            if (format.equals("date-time")) {
                return pick(DATES);
            }
            if (schema.has("enum")) {
                String value = schema.path("enum").path(random.nextInt(schema.path("enum").size())).asText();
                return pick(List.of(value.toLowerCase(Locale.ROOT), value + "x", " " + value, value + "%00", "CVX9",
                        "-1", value + "," + value));
            }
            if (format.equals("uuid")) {
                return pick(PATHS);
            }
            return pick(List.of(pick(ANY), pick(NUMBERS), pick(DATES), "%2E%2A", "%28%3F%3D", "a%25%5F%5C"));
        }

        String pathValue(JsonNode schema) {
            return random.nextInt(8) == 0 ? longText(3000) : random.nextBoolean() ? pick(PATHS) : value(schema);
        }

        /** Header values as bytes Tomcat accepts in a field (ISO-8859-1 text, no CR, LF or NUL). */
        String headerValue() {
            return pick(List.of("", " ", "wait=-1", "wait=99999999999999999999", "respond-async, wait=abc",
                    "wait=1, wait=2", "respond-async;;;", "a".repeat(250), "a".repeat(201), "a".repeat(7000),
                    "\u00ff\u00fe\u00c3\u0028", "%00", "\t x \t", "\"quoted\"", "=", ",,,", "wait=1e9", "wait=0x10"));
        }

        Map<String, String> headers() {
            return switch (random.nextInt(6)) {
                case 0 -> Map.of("Accept", pick(List.of("application/xml", "text/csv", "image/png", "text/html",
                        "application/json;q=0", "*/*;q=abc", ";;", "/", "application/fhir+xml", "\u00ff/\u00fe")));
                case 1 -> Map.of("Accept-Charset", pick(List.of("ebcdic", "utf-7", ";;")));
                case 2 -> Map.of("Accept-Language", pick(List.of("xx-\u00ff", ";q=;", "*".repeat(2000))));
                case 3 -> Map.of("X-Forwarded-For", pick(List.of("%00", "999.999.999.999", "::1, ::1", "\u00ff")));
                case 4 -> Map.of("If-Modified-Since", pick(List.of("yesterday", "0", "Thu, 31 Dec 9999 23:59:59 GMT")));
                default -> Map.of("Range", pick(List.of("bytes=-1-", "bytes=0-0,0-0,0-0", "lines=1-2")));
            };
        }

        String method(String method) {
            return pick(List.of("PATCH", "PUT", "DELETE", "POST", "GET", "HEAD", "OPTIONS", "FOO", "PROPFIND",
                    "CONNECT", "get")).equals(method) ? "PATCH" : pick(List.of("PATCH", "PUT", "DELETE", "POST",
                    "FOO", "PROPFIND", "get", "OPTIONS"));
        }

        /** [content type, body (null: keep the valid body)] */
        String[] wrongContentType() {
            return pick(List.of(
                    new String[] {"text/plain", null},
                    new String[] {"application/xml", "<a>1</a>"},
                    new String[] {"application/x-www-form-urlencoded", "a=%zz&b=%ff&%00=1"},
                    new String[] {"application/x-www-form-urlencoded", "label=1&labelledBy=x"},
                    new String[] {"application/json; charset=nope", null},
                    new String[] {"application/json; charset=utf-16", null},
                    new String[] {"text/csv; charset=nope", "image,label\n"},
                    new String[] {"///", null},
                    new String[] {";", null},
                    new String[] {"application/json;;;q=x", null},
                    new String[] {"multipart/form-data", "--x--"},
                    new String[] {"multipart/related", "--x--"},
                    new String[] {"application/dicom", "DICM"},
                    new String[] {"\u00ff/\u00fe", null},
                    new String[] {"application/octet-stream", "\u0000\u00ff"}));
        }

        String multipartContentType(String type) {
            return pick(List.of(type, type + "; boundary=", type + "; boundary=\"\"", type + "; boundary=" + "b".repeat(71),
                    type + "; boundary=other", type + "; boundary=" + BOUNDARY + "; charset=nope",
                    type + "; type=\"application/json\"; boundary=" + BOUNDARY, type + "; boundary=\"" + BOUNDARY,
                    type + "; boundary=" + BOUNDARY + "; boundary=second"));
        }

        /** A whole body, malformed for its type. */
        byte[] body(String type) {
            List<byte[]> common = List.of(new byte[0], bytes("\u0000"), bytes("\u00ff\u00fe\u00fd"),
                    "\uFEFF{}".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_16));
            if (type.equals("application/json")) {
                return pick(List.of(pick(common), bytes("{"), bytes("}"), bytes("null"), bytes("[]"), bytes("\"x\""),
                        bytes("123"), bytes("{\"a\":}"), bytes("{'a':1}"), bytes("{} garbage"),
                        bytes("[".repeat(100_000)), bytes("{\"a\":".repeat(5_000)), bytes("{\"label\":1e999999}"),
                        bytes("{\"label\":\"\\ud800\"}"), bytes("{\"\u0000\":\"\u00ff\"}"), bytes("{\"a\":1,\"a\":2}"),
                        bytes("{\"labels\":" + "[{\"image\":\"x\",\"label\":1},".repeat(2000) + "{}]}")));
            }
            if (type.equals("text/csv")) {
                return pick(List.of(pick(common), bytes("image,label\n"), bytes("a,b,c,d,e\n1,2,3,4,5\n"),
                        bytes("image,label\n\"unterminated,1\n"), bytes(",\n,\n,\n"),
                        bytes("image,label\n" + UUID.randomUUID() + ",99\n"),
                        bytes("image,label\n" + UUID.randomUUID() + ",-1\n"),
                        bytes("image,label\n" + UUID.randomUUID() + ",1e9\n"),
                        bytes("image,label,reader\n" + UUID.randomUUID() + ",1,\u00ff\u0000\n"),
                        bytes("image,label\n" + ",".repeat(20_000) + "\n"), bytes("image;label\r\nx;1\r\n"),
                        bytes("image,label\n" + ("%00,1\n").repeat(3000)), bytes("\u00ff\u00fe,\u0000\n")));
            }
            List<byte[]> parts = new ArrayList<>();
            int count = random.nextInt(3);
            for (int i = 0; i < count; i++) {
                parts.add(part(pick(List.of("", "Content-Disposition: form-data", "Content-Disposition: form-data; name=file",
                        "Content-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"",
                        "Content-Disposition: form-data; name=\"file\"; filename*=utf-8''%ff%00",
                        "Content-Disposition: form-data; name=\"file\"\r\nContent-Type: image/png; charset=nope",
                        "Content-Type: application/dicom; transfer-syntax=%ff", "Content-Type: ///",
                        "Content-Type: application/dicom", "Garbage\u00ff\u0000 header", "X: " + "h".repeat(20_000))),
                        pick(List.of(new byte[0], bytes("DICM"), bytes("\u0089PNG\r\n\u001a\n"), bytes("x")))));
            }
            return pick(List.of(multipart(parts), pick(common), bytes("--" + BOUNDARY + "\r\n"),
                    bytes("--" + BOUNDARY + "\r\nContent-Type: application/dicom\r\n\r\nDICM"),
                    bytes("--" + BOUNDARY + "--"), bytes("--other\r\n\r\nx\r\n--other--\r\n"),
                    bytes("--" + BOUNDARY + "\r\n" + "H: v\r\n".repeat(5000) + "\r\nx\r\n--" + BOUNDARY + "--\r\n")));
        }

        /** A multipart/form-data upload whose named part (file or subject) is hostile; the rest is valid. */
        byte[] formData(String field) {
            List<byte[]> parts = new ArrayList<>();
            byte[] garbage = bytes("not an image");
            if (field.equals("file")) {
                String disposition = pick(List.of("form-data; name=\"file\"; filename=\"" + "\u00ff\u0000.png\"",
                        "form-data; name=\"file\"; filename=\"" + "a".repeat(5000) + "\"",
                        "form-data; name=\"file\"; filename*=UTF-8''%ff%fe", "form-data; name=\"file\"; filename=",
                        "form-data; name=\"FILE\"", "form-data; name=\"file\"; name=\"other\"", "attachment",
                        "form-data; name=\"file\"; filename=\"x\"; size=-1"));
                String type = pick(List.of("image/png", "image/png; charset=nope", "///", "application/dicom",
                        "text/plain; charset=utf-16", ""));
                int copies = random.nextInt(5) == 0 ? 40 : 1;
                for (int i = 0; i < copies; i++) {
                    parts.add(part("Content-Disposition: " + disposition + (type.isEmpty() ? "" : "\r\nContent-Type: "
                            + type), random.nextBoolean() ? garbage : new byte[0]));
                }
            } else {
                parts.add(part("Content-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\nContent-Type: image/png",
                        garbage));
                String type = pick(List.of("", "\r\nContent-Type: text/plain; charset=nope",
                        "\r\nContent-Type: text/plain; charset=utf-16", "\r\nContent-Type: ///"));
                String value = pick(List.of("", "\u0000", "\u00ff\u00fe", "Patient/" + "1".repeat(5000),
                        "Patient/../../x", "Patient/%00", "http://169.254.169.254/latest", "Patient/1\r\nX: y",
                        "Patient/" + "\u00e9".repeat(10)));
                int copies = random.nextInt(4) == 0 ? 2 : 1;
                for (int i = 0; i < copies; i++) {
                    parts.add(part("Content-Disposition: form-data; name=\"subject\"" + type, bytes(value)));
                }
            }
            return multipart(parts);
        }

        /** The example with one field replaced by a hostile JSON value (raw text, so also invalid JSON). */
        byte[] jsonWithField(JsonNode example, String pointer, Function<JsonNode, JsonNode> safe) {
            String marker = "\"__fuzz_" + UUID.randomUUID() + "__\"";
            JsonNode copy = safe.apply(example);
            int slash = pointer.lastIndexOf('/');
            JsonNode parent = copy.at(pointer.substring(0, slash));
            String name = pointer.substring(slash + 1);
            if (parent instanceof ObjectNode object) {
                if (random.nextInt(8) == 0) {
                    object.remove(name);
                    return bytes(copy.toString());
                }
                object.put(name, marker);
            } else if (parent instanceof com.fasterxml.jackson.databind.node.ArrayNode array) {
                array.set(Integer.parseInt(name), array.textNode(marker));
            }
            String value = pick(List.of("null", "true", "0", "-1", "1e400", "-1e400", "123456789012345678901234567890",
                    "2147483648", "1.5", "\"\"", "\"" + "x".repeat(100_000) + "\"", "\"\\u0000\"", "\"\\ud800\"",
                    "\"\u00ff\u00fe\"", "\"a\r\nb\"", "[]", "{}", "[null]", "[" + "1,".repeat(10_000) + "1]",
                    "[".repeat(3_000) + "]".repeat(3_000), "\"" + UUID.randomUUID() + "\"", "\"CVX9\"", "\"https://127.0.0.1/\"",
                    "\"file:///etc/passwd\"", "\"%00\"", "\"2026-13-01T00:00:00Z\"", "\"-999999999-01-01T00:00:00Z\"",
                    "\"+999999999-12-31T23:59:59Z\"", "\"0000-01-01T00:00:00Z\"", "-9223372036854775808", "NaN", "\"prediction.completed\"",
                    "[\"" + "e".repeat(300) + "\"]", "\"" + "\u00e9".repeat(70) + "\"", "01", "+1", ".5"));
            // The Latin-1 characters above go out as invalid UTF-8 bytes on purpose.
            return copy.toString().replace(marker, value).getBytes(StandardCharsets.ISO_8859_1);
        }

        static byte[] part(String headers, byte[] content) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(bytes(headers + "\r\n\r\n"));
            out.writeBytes(content);
            return out.toByteArray();
        }

        static byte[] multipart(List<byte[]> parts) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] part : parts) {
                out.writeBytes(bytes("--" + BOUNDARY + "\r\n"));
                out.writeBytes(part);
                out.writeBytes(bytes("\r\n"));
            }
            out.writeBytes(bytes("--" + BOUNDARY + "--\r\n"));
            return out.toByteArray();
        }

        private static byte[] bytes(String latin1) {
            return latin1.getBytes(StandardCharsets.ISO_8859_1);
        }
    }

}
