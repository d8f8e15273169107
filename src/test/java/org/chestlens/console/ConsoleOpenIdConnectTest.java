package org.chestlens.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The console's OpenID Connect sign-in through a real identity provider: Spring Authorization Server started at the
 * issuer the shared test context trusts ({@link TestIdentityProvider}), with the console registered as a public
 * client (PKCE, no secret) and a person with a password whose access tokens carry roles of the service and of
 * other applications. In Chromium the person signs in at the provider's login form, comes back to the console
 * with the code, which the console exchanges (CORS at the provider) after checking the state, and accepts after
 * checking the ID token (issuer, audience, nonce, expiry); the worklist shows with the bearer token, and sign-out
 * forgets the token. A forged answer and ID tokens that do not bind to the sign-in are refused.
 */
@ChestlensIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleOpenIdConnectTest {

    private ConfigurableApplicationContext provider;

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    ConsoleBrowser browser;

    @BeforeAll
    void providerAndBrowser() throws Exception {
        provider = TestIdentityProvider.start(port);
        assertThat(TestIdentityProvider.issuer(provider)).isEqualTo(TestSecurity.ISSUER);
        browser = new ConsoleBrowser();
    }

    @AfterAll
    void close() {
        if (browser != null) {
            browser.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    @Test
    void aPersonSignsInAtTheIdentityProviderWorksWithTheTokenAndSignsOut() throws Exception {
        try {
            roundTrip();
        } catch (Throwable failure) {
            browser.saveFailure("oidc-failure");
            throw failure;
        }
    }

    void roundTrip() throws Exception {
        UUID image = statPrediction();
        var driver = browser.driver;
        var wait = browser.wait;
        // The provider's loopback rule: a redirect URI on 127.0.0.1 (never "localhost"), any port.
        String console = "http://127.0.0.1:" + port + "/console/";
        driver.get(console);
        wait.until(ExpectedConditions.elementToBeClickable(By.id("sign-in-oidc")));
        browser.check("oidc-01-sign-in");
        driver.findElement(By.id("sign-in-oidc")).click();

        // The provider's own login form.
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("username")));
        URI login = URI.create(driver.getCurrentUrl());
        assertThat(login.getPort()).isEqualTo(URI.create(TestIdentityProvider.issuer(provider)).getPort());
        driver.findElement(By.name("username")).sendKeys(TestIdentityProvider.USER);
        driver.findElement(By.name("password")).sendKeys(TestIdentityProvider.PASSWORD);
        driver.findElement(By.cssSelector("button[type=submit]")).click();

        // Back at the console, signed in with the roles of the token (reader and admin; not the provider's others).
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#worklist-table tbody tr")));
        assertThat(driver.getCurrentUrl()).startsWith(console).doesNotContain("code=").doesNotContain("state=");
        assertThat(driver.findElements(By.cssSelector("#nav a"))).extracting(WebElement::getText)
                .containsExactly("Worklist", "Administration");
        assertThat(driver.findElement(By.cssSelector("#who .roles")).getText()).isEqualTo("admin, reader");
        WebElement first = driver.findElement(By.cssSelector("#worklist-table tbody tr:first-child"));
        assertThat(first.getText()).contains(image.toString().substring(0, 8)).contains("STAT");
        browser.check("oidc-02-worklist");
        assertThat(browser.storage("sessionStorage")).containsExactly("chestlens.console.credential");
        assertThat(browser.storage("localStorage")).isEmpty();
        assertThat(String.valueOf(driver.executeScript(
                "return JSON.parse(sessionStorage.getItem('chestlens.console.credential')).kind"))).isEqualTo("bearer");
        // The service knew the person from the token: the audit trail names them.
        assertThat(jdbc.sql("SELECT count(*) FROM audit_event WHERE actor = :actor AND action = 'prediction.list' "
                + "AND status = 200").param("actor", TestIdentityProvider.USER).query(Long.class).single()).isPositive();

        // Sign-out: the token is gone from the page's memory and from the tab, and the session at the provider
        // ends (the person passes through its logout and comes back): whoever presses the provider button next
        // must give a password.
        driver.executeScript("window.beforeSignOut = true");
        driver.findElement(By.id("sign-out")).click();
        wait.until(d -> Boolean.TRUE.equals(driver.executeScript("return window.beforeSignOut === undefined"
                + " && location.href.startsWith(arguments[0]) && document.getElementById('api-key') !== null", console)));
        assertThat(browser.storage("sessionStorage")).isEmpty();
        assertThat(driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "import('/console/js/api.js').then(api => done(api.current() === null && api.authHeaders().Authorization"
                + " === undefined));")).isEqualTo(true);
        driver.findElement(By.id("sign-in-oidc")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("password")));
        driver.get(console);

        // An answer that this tab did not ask for (another state) is refused in words, and signs nobody in.
        driver.get(console + "?code=forged&state=forged");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("sign-in-error"), "state"));
        assertThat(driver.getCurrentUrl()).doesNotContain("code=");
        assertThat(browser.storage("sessionStorage")).isEmpty();

        assertThat(idTokenChecks()).containsExactly("null", "the ID token does not carry the nonce sent from this tab",
                "the ID token is for another client", "the ID token is from another issuer", "the ID token has expired");
        assertThat(browser.logProblems()).as("CSP violations and uncaught errors").isEmpty();
        // The calls read from Chromium's performance log; ones this journey is known to make show the log was read.
        List<String> calls = browser.apiCallsMade();
        assertThat(calls).as("API calls the browser made").contains("GET /api/v1/predictions");
        assertThat(ConsoleEndpointsTest.undocumented(calls)).as("calls the contract lacks").isEmpty();
    }

    /** What the console says of ID tokens that do not bind to its sign-in (its check, run in the page). */
    List<String> idTokenChecks() {
        String issuer = TestIdentityProvider.issuer(provider);
        @SuppressWarnings("unchecked")
        List<String> answers = (List<String>) browser.driver.executeAsyncScript(
                "const [issuer, client, done] = arguments;"
                        + "const b64 = o => btoa(JSON.stringify(o)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');"
                        + "const jwt = claims => b64({alg: 'RS256'}) + '.' + b64(claims) + '.signature';"
                        + "const exp = Math.floor(Date.now() / 1000) + 300;"
                        + "const good = {iss: issuer, aud: [client], nonce: 'n-1', exp};"
                        + "const expected = {issuer, clientId: client, nonce: 'n-1'};"
                        + "import('/console/js/oidc.js').then(o => done([good, {...good, nonce: 'n-2'},"
                        + " {...good, aud: 'another-app'}, {...good, iss: 'https://elsewhere.test'}, {...good, exp: exp - 600}]"
                        + ".map(c => String(o.idTokenProblem(jwt(c), expected)))));",
                issuer, TestIdentityProvider.CLIENT_ID);
        return answers;
    }

    /** A stat prediction of the served model, stored now: the newest on the worklist. */
    UUID statPrediction() {
        long version = jdbc.sql("SELECT id FROM model_version WHERE model_id = 'chestlens-demo-densenet121' "
                + "ORDER BY id DESC LIMIT 1").query(Long.class).single();
        UUID image = UUID.randomUUID();
        byte[] sha = new byte[32];
        new SecureRandom().nextBytes(sha);
        Timestamp now = Timestamp.from(Instant.now().truncatedTo(ChronoUnit.MICROS));
        jdbc.sql("""
                        INSERT INTO image (id, sha256, format, size_bytes, width, height, bit_depth, colour_type, received_at)
                        VALUES (:id, :sha, 'PNG', 100, 300, 300, 8, 'GREY', :now)""")
                .param("id", image).param("sha", HexFormat.of().formatHex(sha)).param("now", now).update();
        jdbc.sql("""
                        INSERT INTO inference_job (id, image_id, model_version_id, status, input_height, input_width,
                            decode_ms, lease_until, created_at, finished_at, priority)
                        VALUES (:id, :image, :version, 'DONE', 224, 224, 1, :now, :now, :now, 'STAT')""")
                .param("id", UUID.randomUUID()).param("image", image).param("version", version).param("now", now)
                .update();
        jdbc.sql("""
                        INSERT INTO prediction (id, image_id, model_version_id, predicted_class, p_cvx0, p_cvx1, p_cvx2,
                            p_cvx3, score_cvx03vs12, confidence, fold_spread, decode_ms, wait_ms, inference_ms, created_at)
                        VALUES (:id, :image, :version, 1, 0.1, 0.7, 0.1, 0.1, 0.8, 0.7, '{0,0,0,0}', 1, 1, 1, :now)""")
                .param("id", UUID.randomUUID()).param("image", image).param("version", version).param("now", now)
                .update();
        return image;
    }
}
