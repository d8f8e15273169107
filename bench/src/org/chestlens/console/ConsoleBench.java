package org.chestlens.console;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.chestlens.ChestlensApplication;
import org.chestlens.evaluation.EvaluationDatabaseBench;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The web console's two budgets, in Debian's headless Chromium against the whole service:
 * <ol>
 * <li>first load: the bytes the browser fetched for /console/ (page, stylesheet, modules) as sent, and
 * gzip-compressed as a compressing proxy would send them; the goal is at most 300 KB compressed;</li>
 * <li>a worklist page of 100 rows with 10 000 predictions stored: from the hash change to the 100th row in the
 * DOM (the API call included), median of 15; the goal is under 200 ms.</li>
 * </ol>
 * Uses its own database (bench/run.sh makes a fresh one), filled as for the evaluation benchmark before the service
 * starts.
 */
public final class ConsoleBench {

    static final String KEY = "clk_consolebench0123456789abcdefghijklmnopqrstuv";

    public static void main(String[] args) throws Exception {
        int n = Integer.getInteger("bench.cases", 10_000);
        String url = System.getenv().getOrDefault("TEST_DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/chestlens_bench");
        String user = System.getenv().getOrDefault("TEST_DATABASE_USER", "postgres");
        String password = System.getenv().getOrDefault("TEST_DATABASE_PASSWORD", "");
        PGSimpleDataSource database = EvaluationDatabaseBench.freshDatabase();
        EvaluationDatabaseBench.seed(database, n);
        // The rows belong to the served model (its version row is reused at start-up), so the console's
        // evaluation and error analysis, which default to it, show them.
        JsonNode manifest = new ObjectMapper().readTree(Path.of("models/chestlens-demo-densenet121/model.json").toFile());
        List<String> checksums = new ArrayList<>();
        manifest.path("folds").forEach(fold -> checksums.add(fold.path("sha256").asText()));
        try (Connection c = database.getConnection(); PreparedStatement rename = c.prepareStatement(
                "UPDATE model_version SET model_id = ?, version = ?, fold_checksums = ? WHERE model_id = 'bench-model'")) {
            rename.setString(1, manifest.path("id").asText());
            rename.setString(2, manifest.path("version").asText());
            rename.setArray(3, c.createArrayOf("text", checksums.toArray()));
            rename.executeUpdate();
        }

        ConfigurableApplicationContext service = SpringApplication.run(ChestlensApplication.class,
                "--server.port=0", "--spring.datasource.url=" + url, "--spring.datasource.username=" + user,
                "--spring.datasource.password=" + password, "--chestlens.security.bootstrap-admin-key=" + KEY,
                "--chestlens.security.bootstrap-admin-roles=admin,reader,analyst",
                "--chestlens.security.rate-limit.enabled=false", "--chestlens.dicom.scp.enabled=false",
                // Nothing is scored here: the smallest batch keeps the model's warm-up short.
                "--chestlens.inference.max-batch-size=1",
                "--logging.level.root=WARN");
        int port = ((WebServerApplicationContext) service).getWebServer().getPort();
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1360,1000");
        ChromeDriver driver = new ChromeDriver(new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build(), options);
        try {
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
            driver.get("http://localhost:" + port + "/console/");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
            JavascriptExecutor js = driver;
            long wire = ((Number) js.executeScript("return performance.getEntriesByType('navigation')"
                    + ".concat(performance.getEntriesByType('resource'))"
                    + ".filter(e => new URL(e.name).pathname.startsWith('/console/'))"
                    + ".reduce((sum, e) => sum + e.transferSize, 0)")).longValue();
            long files = 0;
            long compressed = 0;
            int count = 0;
            try (Stream<Path> all = Files.walk(Path.of("src/main/resources/static/console"))) {
                for (Path file : all.filter(Files::isRegularFile).toList()) {
                    byte[] bytes = Files.readAllBytes(file);
                    files += bytes.length;
                    compressed += gzip(bytes);
                    count++;
                }
            }
            System.out.printf("first load: %d bytes over the wire as the service sends them (headers included, "
                    + "uncompressed); %d files, %d bytes, %d bytes gzip-compressed (goal: at most 300 KB = 307200)%n",
                    wire, count, files, compressed);

            driver.findElement(By.id("api-key")).sendKeys(KEY);
            driver.findElement(By.id("sign-in")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#worklist-table tbody tr")));
            List<Double> times = new ArrayList<>();
            for (int round = 0; round < 18; round++) {
                js.executeScript("location.hash = '#/admin'");
                wait.until(ExpectedConditions.presenceOfElementLocated(By.id("key-form")));
                double ms = ((Number) js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                        + "const t0 = performance.now();"
                        + "const seen = new MutationObserver(() => {"
                        + "  if (document.querySelectorAll('#worklist-table tbody tr').length >= 100) {"
                        + "    seen.disconnect(); done(performance.now() - t0); } });"
                        + "seen.observe(document.getElementById('main'), {childList: true, subtree: true});"
                        + "location.hash = '#/worklist';")).doubleValue();
                if (round >= 3) { // the first rounds warm the JIT of both sides
                    times.add(ms);
                }
            }
            Collections.sort(times);
            System.out.printf("worklist page of 100 rows with %d predictions stored: median %.1f ms, max %.1f ms over "
                    + "%d rounds (goal: under 200 ms)%n", n, times.get(times.size() / 2), times.get(times.size() - 1),
                    times.size());
            // Pictures of the evaluation and of an error tree over this cohort (docs/console.md).
            Path shots = Files.createDirectories(Path.of("target/console-bench"));
            js.executeScript("location.hash = '#/evaluation'");
            wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("figure.chart polyline.curve")));
            Files.write(shots.resolve("evaluation.png"), ConsoleBrowserTest.fullPage(driver));
            js.executeScript("location.hash = '#/errors'");
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("ea-f-0")));
            js.executeScript("document.querySelectorAll('.features input').forEach(i => { i.checked = "
                    + "['viewPosition', 'distanceSourceToDetector', 'confidence'].includes(i.value); });"
                    + "document.getElementById('ea-heat').value = 'viewPosition,distanceSourceToDetector';");
            driver.findElement(By.id("ea-fit")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("error-tree")));
            Files.write(shots.resolve("error-tree.png"), ConsoleBrowserTest.fullPage(driver));
            System.out.println("screenshots: " + shots.toAbsolutePath());
        } finally {
            driver.quit();
            service.close();
        }
    }

    static int gzip(byte[] bytes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(bytes);
        }
        return out.size();
    }
}
