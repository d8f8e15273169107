package org.chestlens.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A private Orthanc (Debian's orthanc + orthanc-dicomweb) on loopback for a test: its own storage, HTTP port and
 * configuration, independent of any system Orthanc on 8042/4242, with the DICOMweb plugin loaded; removed with
 * its storage on close.
 */
public final class Orthanc implements AutoCloseable {

    private static final String INSTALL = "apt-get install -y --no-install-recommends orthanc orthanc-dicomweb";
    private static final Path ORTHANC = Path.of("/usr/sbin/Orthanc");
    static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Process process;
    private final Path workDir;
    private final Path log;
    private final URI url;

    private Orthanc(Process process, Path workDir, Path log, URI url) {
        this.process = process;
        this.workDir = workDir;
        this.log = log;
        this.url = url;
    }

    /**
     * Starts one and waits until its REST API answers. {@code settings} are added to (and override) the base
     * configuration: no DICOM server, no authentication, one request per connection.
     */
    public static Orthanc start(Map<String, Object> settings) throws Exception {
        Path plugin = dicomWebPlugin();
        if (!Files.isExecutable(ORTHANC) || plugin == null) {
            fail("Orthanc with its DICOMweb plugin is needed for this test and is not installed (looked for "
                    + ORTHANC + " and libOrthancDicomWeb.so of the orthanc-dicomweb package). Install it: " + INSTALL);
        }
        Path workDir = Files.createTempDirectory("chestlens-orthanc-");
        Path log = workDir.resolve("orthanc.log");
        int httpPort = freePort();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("Name", "chestlens-test-" + UUID.randomUUID());
        config.put("StorageDirectory", workDir.resolve("storage").toString());
        config.put("IndexDirectory", workDir.resolve("storage").toString());
        config.put("HttpPort", httpPort);
        config.put("RemoteAccessAllowed", false);
        config.put("AuthenticationEnabled", false);
        config.put("DicomServerEnabled", false);
        config.put("HttpTimeout", 120);
        // Orthanc closes an idle kept-alive connection after about a second; the JDK client would then
        // send the next POST into a closed connection (and never retries a POST). One request per connection.
        config.put("KeepAlive", false);
        config.put("Plugins", List.of(plugin.toString()));
        config.put("DicomWeb", Map.of("Enable", true));
        config.putAll(settings);
        Path configFile = workDir.resolve("orthanc.json");
        Files.writeString(configFile, JSON.writeValueAsString(config));

        Process process = new ProcessBuilder(ORTHANC.toString(), configFile.toString())
                .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Orthanc orthanc = new Orthanc(process, workDir, log, URI.create("http://127.0.0.1:" + httpPort));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("Orthanc exited with " + process.exitValue() + ":\n" + orthanc.logTail());
            }
            try {
                if (orthanc.get("/system").statusCode() == 200) {
                    return orthanc;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        orthanc.close();
        fail("Orthanc did not answer on " + orthanc.url + " within 60 s:\n" + orthanc.logTail());
        return null;
    }

    public URI url() {
        return url;
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** GET of a JSON resource that must exist. */
    public JsonNode json(String path) throws IOException, InterruptedException {
        HttpResponse<String> answer = get(path);
        if (answer.statusCode() != 200) {
            throw new AssertionError("Orthanc GET " + path + ": " + answer.statusCode() + " " + answer.body());
        }
        return JSON.readTree(answer.body());
    }

    public HttpResponse<String> post(String path, String contentType, byte[] body)
            throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(180))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Concept code value to numeric value of every NUM item of an SR, from Orthanc's simplified tags. */
    public static Map<String, String> srNumbers(JsonNode simplifiedTags) {
        Map<String, String> numbers = new LinkedHashMap<>();
        collectNumbers(simplifiedTags, numbers);
        return numbers;
    }

    private static void collectNumbers(JsonNode item, Map<String, String> numbers) {
        JsonNode value = item.path("MeasuredValueSequence").path(0).path("NumericValue");
        if (!value.isMissingNode()) {
            numbers.put(item.path("ConceptNameCodeSequence").path(0).path("CodeValue").asString(), value.asString());
        }
        for (JsonNode child : item.path("ContentSequence")) {
            collectNumbers(child, numbers);
        }
    }

    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(no Orthanc log)";
        }
    }

    @Override
    public void close() throws Exception {
        try {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            try (Stream<Path> files = Files.walk(workDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** libOrthancDicomWeb.so as the orthanc-dicomweb package installed it (dpkg -L), else its usual path. */
    private static Path dicomWebPlugin() {
        try {
            Process dpkg = new ProcessBuilder("dpkg", "-L", "orthanc-dicomweb").redirectErrorStream(true).start();
            String files = new String(dpkg.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            dpkg.waitFor(10, TimeUnit.SECONDS);
            for (String line : files.split("\n")) {
                Path path = Path.of(line.trim());
                if (path.getFileName() != null && path.getFileName().toString().equals("libOrthancDicomWeb.so")
                        && Files.exists(path)) {
                    return path;
                }
            }
        } catch (IOException e) {
            // no dpkg: try the path Debian uses
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Path usual = Path.of("/usr/share/orthanc/plugins/libOrthancDicomWeb.so");
        return Files.exists(usual) ? usual : null;
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
