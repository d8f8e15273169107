package org.chestlens.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.chestlens.evaluation.LabelStudyCohort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpMethod;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.http.HttpHeaders;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The web console in Debian's headless Chromium (driven by /usr/bin/chromedriver: Selenium downloads nothing),
 * against the whole service: a person signs in with an API key, uploads a film with the file input and drops
 * another on the drop zone, opens a result with the heat map, filters the worklist by priority, labels, opens the
 * evaluation (and, with a calibration active, the raw and calibrated reliability diagrams), the error tree, creates
 * and revokes an API key, searches the audit trail by time, and signs out. Every
 * screen is checked with axe-core (no serious or critical violation) and saved as a screenshot under
 * target/console-screenshots. Names and ids holding markup must show as text; the page must make no call that
 * the contract lacks, and the strict Content-Security-Policy must report no violation.
 */
@ChestlensIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleBrowserTest {

    static final String HOSTILE = "<img src=x onerror=\"window.__xss=1\">";
    static final Path REFERENCE = Path.of("models/chestlens-demo-densenet121/reference/grey8-224x230.png");
    static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    ConsoleBrowser browser;
    ChromeDriver driver;
    WebDriverWait wait;

    @BeforeAll
    void browser() throws IOException {
        browser = new ConsoleBrowser();
        driver = browser.driver;
        wait = browser.wait;
    }

    @AfterAll
    void quit() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void aPersonWorksThroughEveryScreen() throws Exception {
        try {
            journey();
        } catch (Throwable failure) {
            browser.saveFailure("failure");
            throw failure;
        }
    }

    void journey() throws Exception {
        ApiClient admin = new ApiClient(port);
        // The key the person signs in with: every role.
        String keyName = "console-" + UUID.randomUUID();
        JsonNode created = admin.postJson("/api/v1/api-keys", Map.of("name", keyName,
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
        wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("a.result-link")));
        assertThat(driver.findElement(By.cssSelector(".upload:not(.refused) .status")).getText()).isEqualTo("DONE");
        assertThat(driver.findElement(By.cssSelector(".upload:not(.refused) .detail")).getText())
                .contains("respond-async");
        // Another film dropped on the drop zone, as a file manager would: it goes the same way to a result.
        Path dropped = film.resolveSibling("dropped.png");
        Files.write(dropped, TestImages.withTextChunk(Files.readAllBytes(REFERENCE), UUID.randomUUID().toString()));
        assertThat(drop(dropped)).as("the zone shows that it takes the files while they are dragged over it").isTrue();
        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("a.result-link"), 2));
        WebElement latest = driver.findElement(By.cssSelector("#upload-list li:first-child"));
        assertThat(latest.findElement(By.cssSelector(".name")).getText()).isEqualTo("dropped.png");
        assertThat(latest.findElement(By.cssSelector(".status")).getText()).isEqualTo("DONE");
        assertThat(latest.findElement(By.cssSelector("progress")).getAttribute("value")).isEqualTo("100");
        assertThat(driver.findElements(By.cssSelector("#drop-zone.over"))).isEmpty();
        check("02-upload");

        // Result: the film (chosen with the file input) with its heat map, switched to another class.
        List<WebElement> results = driver.findElements(By.cssSelector("#upload-list a.result-link"));
        List<String> ours = results.stream().map(link -> link.getAttribute("href").replaceAll(".*#/result/", ""))
                .toList();
        results.get(results.size() - 1).click();
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

        // Worklist: the new predictions are on page one; the priority filter keeps the stat ones (both films were
        // sent stat) and leaves them out of the routine ones; sorting by confidence keeps every row.
        driver.findElement(By.id("nav-worklist")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#worklist-table tbody tr")));
        Map<String, String> stat = worklistByPriority("stat");
        assertThat(stat).containsKeys(ours.toArray(String[]::new));
        assertThat(stat.values()).containsOnly("STAT");
        Map<String, String> routine = worklistByPriority("routine");
        assertThat(routine).doesNotContainKeys(ours.toArray(String[]::new));
        assertThat(routine.values()).allMatch("routine"::equals);
        assertThat(worklistByPriority("")).containsKeys(ours.toArray(String[]::new));
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
        calibratedReliability(admin);

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
        // The audit trail of the signed-in key, between two instants typed as local times; an hour ahead holds none.
        LocalDateTime now = LocalDateTime.now().truncatedTo(ChronoUnit.SECONDS);
        List<String> actors = auditBetween(keyName, now.minusHours(1), now.plusMinutes(1));
        assertThat(actors).isNotEmpty().allMatch((keyName + " (api-key)")::equals);
        assertThat(auditBetween(keyName, now.plusHours(1), null)).isEmpty();
        assertThat(driver.findElement(By.id("audit-empty")).getText()).isEqualTo("No audit events match.");
        auditBetween(keyName, now.minusHours(1), null);
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

        assertThat(browser.logProblems()).as("CSP violations and uncaught errors").isEmpty();
        // The calls read from Chromium's performance log; ones this journey is known to make show the log was read.
        List<String> calls = browser.apiCallsMade();
        assertThat(calls).as("API calls the browser made").contains("POST /api/v1/images", "GET /api/v1/predictions");
        assertThat(ConsoleEndpointsTest.undocumented(calls)).as("calls the contract lacks").isEmpty();
    }

    String base() {
        return "http://localhost:" + port;
    }

    void check(String name) throws IOException {
        browser.check(name);
    }

    /** The whole page (for bench/src/org/chestlens/console/ConsoleBench.java). */
    static byte[] fullPage(ChromeDriver driver) {
        return ConsoleBrowser.fullPage(driver);
    }

    List<String> storage(String which) {
        return browser.storage(which);
    }

    /** The audit screen's search by actor and time (local, as typed in its inputs): the actor of each row. */
    List<String> auditBetween(String actor, LocalDateTime since, LocalDateTime until) {
        WebElement actorInput = driver.findElement(By.id("audit-actor"));
        actorInput.clear();
        actorInput.sendKeys(actor);
        ((JavascriptExecutor) driver).executeScript("document.getElementById('audit-since').value = arguments[0];"
                + "document.getElementById('audit-until').value = arguments[1];"
                + "document.getElementById('audit-list').replaceChildren();",
                since == null ? "" : since.toString(), until == null ? "" : until.toString());
        driver.findElement(By.cssSelector("#audit-form button[type=submit]")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#audit-list table, #audit-empty")));
        return driver.findElements(By.cssSelector("#audit-list tbody tr td:nth-child(2)")).stream()
                .map(WebElement::getText).toList();
    }

    /** The worklist filtered by a priority: each row's prediction id and what its priority cell shows. */
    Map<String, String> worklistByPriority(String priority) {
        new Select(driver.findElement(By.id("wl-priority"))).selectByValue(priority);
        ((JavascriptExecutor) driver).executeScript("document.getElementById('announce').textContent = ''");
        driver.findElement(By.id("wl-apply")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("announce"), "predictions shown"));
        Map<String, String> rows = new HashMap<>();
        for (WebElement row : driver.findElements(By.cssSelector("#worklist-table tbody tr"))) {
            rows.put(row.findElement(By.cssSelector("td:first-child a")).getAttribute("href").replaceAll(".*#/result/", ""),
                    row.findElement(By.cssSelector("td:nth-child(2)")).getText());
        }
        return rows;
    }

    /**
     * With a calibration active for the model version, the evaluation draws the raw and the calibrated reliability
     * diagrams side by side: here on the label-study cohort, on which the calibration is also fitted (467 labelled
     * cases). The calibration is deactivated afterwards, so later tests see the predictions as they were.
     */
    void calibratedReliability(ApiClient admin) throws IOException {
        LabelStudyCohort labelStudy = LabelStudyCohort.load(jdbc, admin);
        ApiClient.Answer fitted = admin.sendJson(HttpMethod.POST, "/api/v1/calibrations",
                "{\"cohort\": " + labelStudy.filter("") + "}");
        assertThat(fitted.status()).as(fitted.body().toString()).isEqualTo(201);
        String calibration = fitted.body().path("id").asString();
        try {
            assertThat(admin.send(HttpMethod.PUT, "/api/v1/calibrations/" + calibration + "/active", new HttpHeaders(),
                    null, null).status()).isEqualTo(200);
            driver.findElement(By.id("ev-institutionName")).sendKeys(labelStudy.institution());
            driver.findElement(By.id("ev-run")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("reliability-diagram-calibrated")));
            assertThat(driver.findElement(By.id("evaluation-summary")).getText()).startsWith("467 labelled predictions");
            assertThat(driver.findElements(By.cssSelector("#reliability-diagram rect.bin"))).isNotEmpty();
            assertThat(driver.findElements(By.cssSelector("#reliability-diagram-calibrated rect.bin"))).isNotEmpty();
            assertThat(driver.findElements(By.cssSelector("#reliability-diagram-calibrated rect.gap"))).isNotEmpty();
            assertThat(driver.findElement(By.id("reliability-diagram-calibrated")).getAttribute("data-calibration"))
                    .isEqualTo(calibration);
            // What the calibration is, and its held-out numbers beside the in-sample diagram.
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("calibration-about"), "fitted on 467"));
            assertThat(driver.findElement(By.id("calibration-about")).getText()).contains("temperature, T = ")
                    .contains("in-sample");
            check("06-evaluation-calibrated");
        } finally {
            assertThat(admin.delete("/api/v1/calibrations/" + calibration + "/active").status()).isEqualTo(200);
        }
    }

    /**
     * Drops a file on the upload's drop zone. Selenium cannot drag from the file manager, so the file is chosen in a
     * file input of the test's own (the one way a page gets a File), and the events a drag from outside the page
     * fires are dispatched on the zone with a DataTransfer holding it. Answers whether the zone marked itself as a
     * drop target during the drag.
     */
    boolean drop(Path file) {
        WebElement source = (WebElement) driver.executeScript("const input = document.createElement('input');"
                + "input.type = 'file'; input.id = 'test-drop-source'; document.body.append(input); return input;");
        source.sendKeys(file.toAbsolutePath().toString());
        Object over = driver.executeScript("const [input, zone] = arguments; const transfer = new DataTransfer();"
                + "for (const f of input.files) transfer.items.add(f);"
                + "const fire = type => zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true,"
                + " dataTransfer: transfer}));"
                + "fire('dragenter'); fire('dragover'); const over = zone.classList.contains('over');"
                + "fire('drop'); input.remove(); return over;", source, driver.findElement(By.id("drop-zone")));
        return Boolean.TRUE.equals(over);
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

}
