package org.chestlens.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Level;

import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Debian's headless Chromium driven by /usr/bin/chromedriver (Selenium downloads nothing), with what the console's
 * browser tests check on every screen: axe-core (no serious or critical violation) and a screenshot under
 * target/console-screenshots; and at the end, the browser's log (no Content-Security-Policy violation, no uncaught
 * error) and the network log (every API request the page sent).
 */
final class ConsoleBrowser implements AutoCloseable {

    static final Path SHOTS = Path.of("target/console-screenshots");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    final ChromeDriver driver;
    final WebDriverWait wait;
    private final String axe;

    ConsoleBrowser() throws IOException {
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1360,1000", "--force-device-scale-factor=1", "--lang=en");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        logs.enable(LogType.PERFORMANCE, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        try (InputStream in = getClass().getResourceAsStream("/META-INF/resources/webjars/axe-core/"
                + axeVersion() + "/axe.min.js")) {
            axe = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Files.createDirectories(SHOTS);
        driver = new ChromeDriver(service, options);
        wait = new WebDriverWait(driver, Duration.ofSeconds(60));
    }

    private static String axeVersion() throws IOException {
        try (InputStream in = ConsoleBrowser.class.getResourceAsStream(
                "/META-INF/maven/org.webjars.npm/axe-core/pom.properties")) {
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        }
    }

    @Override
    public void close() {
        driver.quit();
    }

    /** axe-core on the screen as it is (no serious or critical violation), and a screenshot. */
    void check(String name) throws IOException {
        Files.write(SHOTS.resolve(name + ".png"), fullPage());
        driver.executeScript(axe);
        Object found = driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations"
                + ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                + ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))})))))"
                + ".catch(e => done('axe failed: ' + e));");
        assertThat(String.valueOf(found)).as("axe-core on " + name).isEqualTo("[]");
    }

    /** What the page showed when a test failed: a screenshot and its text beside the others. */
    void saveFailure(String name) throws IOException {
        Files.write(SHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
        Files.writeString(SHOTS.resolve(name + ".txt"), driver.findElement(By.tagName("body")).getText());
    }

    byte[] fullPage() {
        return fullPage(driver);
    }

    /** The whole page, not only the window (Chromium's DevTools screenshot beyond the viewport). */
    static byte[] fullPage(ChromeDriver driver) {
        Number width = (Number) driver.executeScript("return document.documentElement.scrollWidth");
        Number height = (Number) driver.executeScript("return document.documentElement.scrollHeight");
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("captureBeyondViewport", true,
                "clip", Map.of("x", 0, "y", 0, "width", width, "height", Math.min(height.intValue(), 4000), "scale", 1)));
        return Base64.getDecoder().decode((String) shot.get("data"));
    }

    /** The keys in the page's localStorage or sessionStorage. */
    List<String> storage(String which) {
        @SuppressWarnings("unchecked")
        List<String> keys = (List<String>) driver.executeScript("return Object.keys(window." + which + ")");
        return keys;
    }

    /** Content-Security-Policy violations and uncaught errors in the browser's log since the last call. */
    List<String> logProblems() {
        List<String> problems = new ArrayList<>();
        for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
            if (entry.getMessage().contains("Content Security Policy") || entry.getMessage().contains("Uncaught")) {
                problems.add(entry.getMessage());
            }
        }
        return problems;
    }

    /** Every API request the page sent since the last call, as "METHOD /path", from Chromium's network log. */
    List<String> apiCallsMade() {
        List<String> calls = new ArrayList<>();
        for (LogEntry entry : driver.manage().logs().get(LogType.PERFORMANCE)) {
            JsonNode message = JSON.readTree(entry.getMessage()).path("message");
            if (!message.path("method").asString().equals("Network.requestWillBeSent")) {
                continue;
            }
            JsonNode request = message.path("params").path("request");
            String url = request.path("url").asString();
            if (!url.startsWith("http")) {
                continue; // data: and blob: URLs
            }
            String path = URI.create(url).getPath();
            if (path.startsWith("/api/") || path.startsWith("/dicomweb/")) {
                calls.add(request.path("method").asString() + " " + path);
            }
        }
        return calls;
    }
}
