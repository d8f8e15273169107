package org.chestlens.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

/**
 * The console is a client of the public contract and nothing else: every API path its scripts name is (the start
 * of) a path of openapi/openapi.yaml, and every call the browser test saw it make is an operation there
 * (ConsoleBrowserTest checks the latter with {@link #undocumented}).
 */
class ConsoleEndpointsTest {

    static final Path CONSOLE = Path.of("src/main/resources/static/console");
    static final Path CONTRACT = Path.of("openapi/openapi.yaml");
    /** A string literal naming an API path: '/api/...' or "/dicomweb/...". */
    static final Pattern LITERAL = Pattern.compile("['\"`](/(?:api|dicomweb)/[^'\"`]*)['\"`]");

    /** The contract's operations as "METHOD path-regex", {parameters} matching one segment. */
    static List<String[]> operations() throws IOException {
        JsonNode paths = new ObjectMapper(new YAMLFactory()).readTree(CONTRACT.toFile()).path("paths");
        List<String[]> operations = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : paths.properties()) {
            for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
                operations.add(new String[] {operation.getKey().toUpperCase(), pattern(path.getKey())});
            }
        }
        return operations;
    }

    static String pattern(String path) {
        return Pattern.quote(path).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q");
    }

    /** The calls ("METHOD /path") that match no operation of the contract. */
    static List<String> undocumented(List<String> calls) throws IOException {
        List<String[]> operations = operations();
        return calls.stream().filter(call -> {
            String[] parts = call.split(" ", 2);
            return operations.stream().noneMatch(op -> op[0].equals(parts[0]) && parts[1].matches(op[1]));
        }).distinct().toList();
    }

    @Test
    void everyApiPathTheScriptsNameIsInTheContract() throws IOException {
        JsonNode paths = new ObjectMapper(new YAMLFactory()).readTree(CONTRACT.toFile()).path("paths");
        List<String> contract = new ArrayList<>();
        paths.fieldNames().forEachRemaining(contract::add);
        TreeSet<String> named = new TreeSet<>();
        List<String> unknown = new ArrayList<>();
        try (Stream<Path> files = Files.walk(CONSOLE)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".js")).toList()) {
                Matcher literal = LITERAL.matcher(Files.readString(file));
                while (literal.find()) {
                    String path = literal.group(1);
                    named.add(path);
                    // '/api/v1/images/' + id + '/labels': the literal is a prefix, its open end a parameter.
                    String prefix = path.endsWith("/") ? path + "{x}" : path;
                    if (contract.stream().noneMatch(c -> prefixOf(prefix, c))) {
                        unknown.add(file.getFileName() + ": " + path);
                    }
                }
            }
        }
        assertThat(named).as("the console names API paths").hasSizeGreaterThan(10);
        assertThat(unknown).as("API paths the contract lacks").isEmpty();
    }

    /** Whether the path's segments are the first segments of the contract path ({x} matching any one). */
    static boolean prefixOf(String path, String contractPath) {
        String[] mine = path.split("/");
        String[] theirs = contractPath.split("/");
        if (mine.length > theirs.length) {
            return false;
        }
        for (int i = 0; i < mine.length; i++) {
            boolean parameter = mine[i].startsWith("{") || theirs[i].startsWith("{");
            if (!parameter && !mine[i].equals(theirs[i])) {
                return false;
            }
        }
        return true;
    }

    @Test
    void theCheckRefusesWhatTheContractLacks() throws IOException {
        assertThat(undocumented(List.of("GET /api/v1/predictions", "PUT /api/v1/images/1/labels/readers/r",
                "PATCH /api/v1/webhooks/abc"))).isEmpty();
        assertThat(undocumented(List.of("GET /api/v1/whoami", "DELETE /api/v1/predictions/1",
                "GET /api/v1/images/1/labels/extra"))).hasSize(3);
        assertThat(prefixOf("/api/v1/secret-admin/{x}", "/api/v1/images/{id}")).isFalse();
    }
}
