package org.chestlens.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The web console in Debian's headless Chromium (driven by /usr/bin/chromedriver: Selenium downloads nothing),
 * against the whole service: a person signs in with an API key, uploads a film, opens its result with the heat
 * map, labels it, opens the evaluation and the error tree, creates and revokes an API key, and signs out. Every
 * screen is checked with axe-core (no serious or critical violation) and saved as a screenshot under
 * target/console-screenshots. Names and ids holding markup must show as text; the page must make no call that
 * the contract lacks, and the strict Content-Security-Policy must report no violation.
 */
@ChestlensIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleBrowserTest {

    static final String HOSTILE = "<img src=x onerror=\"window.__xss=1\">";
    static final Path SHOTS = Path.of("target/console-screenshots");
    static final Path REFERENCE = Path.of("models/chestlens-demo-densenet121/reference/grey8-224x230.png");
    static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    ChromeDriver driver;
    WebDriverWait wait;
    String axe;

    @BeforeAll
    void browser() throws IOException {
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
        driver = new ChromeDriver(service, options);
        wait = new WebDriverWait(driver, Duration.ofSeconds(60));
        try (InputStream in = getClass().getResourceAsStream("/META-INF/resources/webjars/axe-core/"
                + axeVersion() + "/axe.min.js")) {
            axe = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Files.createDirectories(SHOTS);
    }

    static String axeVersion() throws IOException {
        try (InputStream in = ConsoleBrowserTest.class.getResourceAsStream(
                "/META-INF/maven/org.webjars.npm/axe-core/pom.properties")) {
            java.util.Properties properties = new java.util.Properties();
            properties.load(in);
            return properties.getProperty("version");
        }
    }

    @AfterAll
    void quit() {
        if (driver != null) {
            driver.quit();
        }
    }

    @Test
    void aPersonWorksThroughEveryScreen() throws Exception {
        try {
            journey();
        } catch (Throwable failure) {
            // What the page showed when it failed: a screenshot and its text beside the others.
            Files.write(SHOTS.resolve("failure.png"), driver.getScreenshotAs(OutputType.BYTES));
            Files.writeString(SHOTS.resolve("failure.txt"), driver.findElement(By.tagName("body")).getText());
            throw failure;
        }
    }

    void journey() throws Exception {
        ApiClient admin = new ApiClient(port);
        // The key the person signs in with: every role.
        JsonNode created = admin.postJson("/api/v1/api-keys", Map.of("name", "console-" + UUID.randomUUID(),
                "roles", List.of("submitter", "reader", "annotator", "analyst", "admin"))).body();
        String key = created.path("key").asString();
        assertThat(key).startsWith("clk_");
        Path film = Files.createDirectories(Path.of("target/console-fixtures")).resolve("film.png");
        Files.write(film, TestImages.withTextChunk(Files.readAllBytes(REFERENCE), UUID.randomUUID().toString()));
        Path junk = film.resolveSibling("not-an-image.png");
        Files.writeString(junk, "this is text, not a PNG");

        // The page itself: served with the strict policy, no inline script or style of its own.
        ApiClient.TextAnswer page = new ApiClient(port, new HttpHeaders()).getText("/console/", new HttpHeaders());
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.headers().getFirst("Content-Security-Policy")).startsWith("default-src 'self'")
                .doesNotContain("script-src");
        assertThat(page.body()).doesNotContain("<script>").doesNotContain("style=");

        // Sign-in.
        driver.get(base() + "/console");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        check("01-sign-in");
        driver.findElement(By.id("api-key")).sendKeys("clk_not-a-key");
        driver.findElement(By.id("sign-in")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("sign-in-error"), "unknown"));
        driver.findElement(By.id("api-key")).clear();
        driver.findElement(By.id("api-key")).sendKeys(key);
        driver.findElement(By.id("sign-in")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("nav-admin")));
        assertThat(driver.findElements(By.cssSelector("#nav a"))).extracting(WebElement::getText)
                .containsExactly("Upload", "Worklist", "Labelling", "Evaluation", "Error analysis", "Administration");
        assertThat(storage("localStorage")).isEmpty();

        // Upload: a film (stat), and a refused file whose problem answer shows in words.
        driver.findElement(By.id("nav-upload")).click();
        new Select(driver.findElement(By.id("upload-priority"))).selectByValue("stat");
        driver.findElement(By.id("upload-files")).sendKeys(junk.toAbsolutePath().toString());
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".upload.refused .detail")));
        assertThat(driver.findElement(By.cssSelector(".upload.refused .detail")).getText()).isNotBlank()
                .doesNotContain("HTTP 4");
        driver.findElement(By.id("upload-files")).sendKeys(film.toAbsolutePath().toString());
        WebElement resultLink = wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("a.result-link")));
        assertThat(driver.findElement(By.cssSelector(".upload:not(.refused) .status")).getText()).isEqualTo("DONE");
        assertThat(driver.findElement(By.cssSelector(".upload:not(.refused) .detail")).getText())
                .contains("respond-async");
        check("02-upload");

        // Result: the film with its heat map, switched to another class.
        resultLink.click();
        WebElement canvas = wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#film[data-heat]")));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("hierarchy")));
        String predicted = canvas.getAttribute("data-heat");
        assertThat(distinctColours()).isGreaterThan(50);
        Select heatClass = new Select(driver.findElement(By.id("heat-class")));
        assertThat(heatClass.getOptions()).hasSize(4);
        String other = predicted.equals("CVX1") ? "CVX2" : "CVX1";
        heatClass.selectByValue(other);
        wait.until(ExpectedConditions.attributeToBe(By.id("film"), "data-heat", other));
        heatClass.selectByValue(predicted);
        wait.until(ExpectedConditions.attributeToBe(By.id("film"), "data-heat", predicted));
        assertThat(driver.findElement(By.id("notice")).getText()).isNotBlank();
        assertThat(driver.findElements(By.cssSelector("[data-download]"))).hasSize(4);
        check("03-result");

        // Worklist: the new prediction is on page one; sorting by confidence keeps every row.
        driver.findElement(By.id("nav-worklist")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#worklist-table tbody tr")));
        int rows = driver.findElements(By.cssSelector("#worklist-table tbody tr")).size();
        driver.findElement(By.cssSelector("button[data-sort='confidence']")).click();
        assertThat(driver.findElements(By.cssSelector("#worklist-table tbody tr"))).hasSize(rows);
        check("04-worklist");

        // Labelling: the worklist's page is the queue; key 2 labels the first image as the reference, set by a
        // person whose name is markup.
        driver.findElement(By.id("nav-label")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("label-progress"), "Image 1 of"));
        boolean more = !driver.findElement(By.id("label-progress")).getText().contains("Image 1 of 1;");
        String firstImage = driver.findElement(By.cssSelector("#label-current p")).getText().replace("Image ", "");
        driver.findElement(By.id("label-by")).sendKeys(HOSTILE);
        driver.findElement(By.tagName("h1")).click();
        new Actions(driver).sendKeys("2").perform();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("label-progress"), "labelled in this session: 1"));
        if (more) {
            new Actions(driver).sendKeys("p").perform();
        }
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("label-now"), "reference: CVX2 by " + HOSTILE));
        // A reader id that is markup is refused by the API, and the refusal shows in words.
        new Select(driver.findElement(By.id("label-as"))).selectByValue("reader");
        driver.findElement(By.id("label-by")).clear();
        driver.findElement(By.id("label-reader")).sendKeys(HOSTILE);
        driver.findElement(By.cssSelector("button[data-label='1']")).click();
        wait.until(ExpectedConditions.textMatches(By.id("label-error"), java.util.regex.Pattern.compile(".+")));
        driver.findElement(By.id("label-reader")).clear();
        driver.findElement(By.id("label-reader")).sendKeys("reader-1");
        driver.findElement(By.cssSelector("button[data-label='1']")).click();
        if (more) {
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("label-progress"), "Image 2 of"));
            new Actions(driver).sendKeys(Keys.ARROW_LEFT).perform();
        }
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("label-now"), "reader reader-1: CVX1"));
        JsonNode labels = admin.get("/api/v1/images/" + firstImage + "/labels").body();
        assertThat(labels.path("reference").path("labelledBy").asString()).isEqualTo(HOSTILE);
        assertThat(labels.path("readers").path(0).path("label").asInt()).isEqualTo(1);
        check("05-labelling");

        // Two more films labelled through the API (normal, other abnormality), so both sides of the hierarchy's
        // questions are in the cohort and the ROC curves exist.
        int reference = 0;
        for (String name : List.of("grey8-301x257.png", "grey16-640x512.png")) {
            byte[] png = TestImages.withTextChunk(Files.readAllBytes(REFERENCE.resolveSibling(name)),
                    UUID.randomUUID().toString());
            String imageId = admin.upload(ApiClient.header("Prefer", "wait=120"), png).body().path("images").path(0)
                    .path("id").asString();
            assertThat(admin.putJson("/api/v1/images/" + imageId + "/labels/reference", Map.of("label", reference))
                    .status()).isIn(200, 201);
            reference = 3;
        }

        // Evaluation of the default model: the pictures are drawn.
        driver.findElement(By.id("nav-evaluation")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("evaluation-summary")));
        assertThat(driver.findElements(By.cssSelector("figure.chart[data-subtask]"))).hasSize(3);
        assertThat(driver.findElements(By.cssSelector("figure.chart[data-subtask='CVX03vs12'] polyline.curve"))).hasSize(1);
        assertThat(driver.findElements(By.cssSelector("#reliability-diagram rect.bin"))).isNotEmpty();
        assertThat(driver.findElements(By.cssSelector("#confusion tbody tr"))).hasSize(4);
        assertThat(driver.findElement(By.id("kappa")).getText()).contains("reader-1");
        check("06-evaluation");

        // Error analysis: fit a tree, activate it, list a leaf's images.
        driver.findElement(By.id("nav-errors")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("ea-f-0")));
        WebElement minLeaf = driver.findElement(By.id("ea-min-leaf"));
        minLeaf.clear();
        minLeaf.sendKeys("1");
        driver.findElement(By.id("ea-fit")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("error-tree")));
        driver.findElement(By.id("ea-activate")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("tree-h"), "(active)"));
        driver.findElement(By.cssSelector("#error-tree g.leaf")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#leaf-images table")));
        check("07-error-analysis");
        driver.findElement(By.id("ea-activate")).click(); // leave no active run behind for other tests
        wait.until(ExpectedConditions.not(ExpectedConditions.textToBePresentInElementLocated(By.id("tree-h"), "(active)")));

        // Administration: a key name that is markup is refused in words; a new key's secret is shown once; revoke it.
        driver.findElement(By.id("nav-admin")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#key-list tbody tr")));
        driver.findElement(By.id("key-name")).sendKeys(HOSTILE);
        driver.findElement(By.id("key-role-reader")).click();
        driver.findElement(By.id("key-create")).click();
        wait.until(ExpectedConditions.textMatches(By.id("admin-error"), java.util.regex.Pattern.compile(".+")));
        driver.findElement(By.id("key-name")).clear();
        driver.findElement(By.id("key-name")).sendKeys("console-test-" + UUID.randomUUID());
        driver.findElement(By.id("key-create")).click();
        String secret = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("key-secret-value"))).getText();
        assertThat(secret).startsWith("clk_");
        assertThat(new ApiClient(port, TestSecurity.apiKey(secret)).get("/api/v1/predictions?limit=1").status())
                .isEqualTo(200);
        driver.findElement(By.id("hook-url")).sendKeys("http://127.0.0.1:9/console-hook");
        driver.findElement(By.id("hook-description")).sendKeys(HOSTILE);
        driver.findElement(By.id("hook-create")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("webhook-list"), HOSTILE));
        check("08-administration");
        // The subscription goes again (no deliveries to a dead port for later tests).
        driver.findElement(By.cssSelector("#webhook-list tbody tr:last-child button[data-delete-hook]")).click();
        driver.switchTo().alert().accept();
        wait.until(ExpectedConditions.not(ExpectedConditions.textToBePresentInElementLocated(By.id("webhook-list"),
                HOSTILE)));
        String keyId = keyIdOf(secret, admin);
        driver.findElement(By.cssSelector("button[data-revoke='" + keyId + "']")).click();
        driver.switchTo().alert().accept();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("tr[data-key='" + keyId + "']"),
                "revoked"));
        assertThat(new ApiClient(port, TestSecurity.apiKey(secret)).get("/api/v1/predictions?limit=1").status())
                .isEqualTo(401);

        // Nothing the data held ran as markup.
        assertThat(((JavascriptExecutor) driver).executeScript("return window.__xss === undefined "
                + "&& document.querySelectorAll('img').length === 0")).isEqualTo(true);

        // The OpenID Connect request the console would send: PKCE S256 over the verifier it keeps.
        pkce();

        // Sign out: the credential is gone from the tab.
        driver.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        assertThat(storage("sessionStorage")).isEmpty();
        assertThat(storage("localStorage")).isEmpty();

        // A reader sees the reader's screens only; another screen's address names the role it needs.
        String reader = admin.postJson("/api/v1/api-keys", Map.of("name", "console-reader-" + UUID.randomUUID(),
                "roles", List.of("reader"))).body().path("key").asString();
        driver.findElement(By.id("api-key")).sendKeys(reader);
        driver.findElement(By.id("sign-in")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#worklist-table, #worklist-empty")));
        assertThat(driver.findElements(By.cssSelector("#nav a"))).extracting(WebElement::getText)
                .containsExactly("Worklist");
        ((JavascriptExecutor) driver).executeScript("location.hash = '#/admin'");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("main"), "needs the role \"admin\""));
        driver.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));

        List<String> problems = new ArrayList<>();
        for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
            if (entry.getMessage().contains("Content Security Policy") || entry.getMessage().contains("Uncaught")) {
                problems.add(entry.getMessage());
            }
        }
        assertThat(problems).as("CSP violations and uncaught errors").isEmpty();
        assertThat(ConsoleEndpointsTest.undocumented(apiCallsMade())).as("calls the contract lacks").isEmpty();
    }

    String base() {
        return "http://localhost:" + port;
    }

    /** axe-core on the screen as it is (no serious or critical violation), and a screenshot. */
    void check(String name) throws IOException {
        Files.write(SHOTS.resolve(name + ".png"), fullPage(driver));
        JavascriptExecutor js = driver;
        js.executeScript(axe);
        Object found = js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations"
                + ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                + ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))})))))"
                + ".catch(e => done('axe failed: ' + e));");
        assertThat(String.valueOf(found)).as("axe-core on " + name).isEqualTo("[]");
    }

    /** The whole page, not only the window (Chromium's DevTools screenshot beyond the viewport). */
    static byte[] fullPage(ChromeDriver driver) {
        Number width = (Number) driver.executeScript("return document.documentElement.scrollWidth");
        Number height = (Number) driver.executeScript("return document.documentElement.scrollHeight");
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("captureBeyondViewport", true,
                "clip", Map.of("x", 0, "y", 0, "width", width, "height", Math.min(height.intValue(), 4000), "scale", 1)));
        return Base64.getDecoder().decode((String) shot.get("data"));
    }

    List<String> storage(String which) {
        @SuppressWarnings("unchecked")
        List<String> keys = (List<String>) ((JavascriptExecutor) driver).executeScript(
                "return Object.keys(window." + which + ")");
        return keys;
    }

    long distinctColours() {
        Object count = ((JavascriptExecutor) driver).executeScript("const c = document.getElementById('film');"
                + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const seen = new Set();"
                + "for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);"
                + "return seen.size;");
        return ((Number) count).longValue();
    }

    String keyIdOf(String secret, ApiClient admin) {
        for (JsonNode item : admin.get("/api/v1/api-keys?limit=500").body().path("items")) {
            if (secret.startsWith(item.path("prefix").asString())
                    && item.path("revokedAt").isNull() && item.path("roles").size() == 1) {
                return item.path("id").asString();
            }
        }
        throw new AssertionError("the new key is not listed");
    }

    void pkce() throws Exception {
        Object answer = ((JavascriptExecutor) driver).executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "import('/console/js/oidc.js').then(async o => { const v = o.randomToken();"
                + "const r = await o.authorizationRequest({authorization_endpoint: 'https://idp.hospital.test/auth?kc=1'},"
                + " 'chestlens-console', 'https://chestlens.hospital.test/console/', v, 'state-1');"
                + "done(JSON.stringify({url: r.url, verifier: r.verifier, state: r.state,"
                + " token: o.tokenRequest('the-code', 'chestlens-console', 'https://chestlens.hospital.test/console/', v).toString()}));"
                + "}).catch(e => done('failed: ' + e));");
        JsonNode request = JSON.readTree(String.valueOf(answer));
        String verifier = request.path("verifier").asString();
        assertThat(verifier).matches("[A-Za-z0-9_-]{43,128}");
        URI url = URI.create(request.path("url").asString());
        assertThat(url.getHost()).isEqualTo("idp.hospital.test");
        Map<String, String> params = query(url.getRawQuery());
        String expected = Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        assertThat(params).containsEntry("kc", "1").containsEntry("response_type", "code")
                .containsEntry("client_id", "chestlens-console")
                .containsEntry("redirect_uri", "https://chestlens.hospital.test/console/")
                .containsEntry("state", "state-1").containsEntry("code_challenge_method", "S256")
                .containsEntry("code_challenge", expected).containsKey("nonce");
        assertThat(params.get("scope")).contains("openid");
        assertThat(url.toString()).doesNotContain(verifier);
        assertThat(query(request.path("token").asString())).containsEntry("grant_type", "authorization_code")
                .containsEntry("code", "the-code").containsEntry("code_verifier", verifier)
                .containsEntry("client_id", "chestlens-console");
    }

    static Map<String, String> query(String raw) {
        Map<String, String> params = new HashMap<>();
        for (String pair : raw.split("&")) {
            String[] kv = pair.split("=", 2);
            params.put(java.net.URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    kv.length > 1 ? java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return params;
    }

    /** Every API request the page sent, as "METHOD /path", from Chromium's network log. */
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
