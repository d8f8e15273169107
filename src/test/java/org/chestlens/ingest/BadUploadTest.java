package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

/**
 * Each kind of bad upload gets its own 4xx problem+json, nothing is written to the database, and
 * the service stays healthy afterwards.
 */
@ChestlensIntegrationTest
class BadUploadTest {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    ApiClient api;
    long imagesBefore;
    long predictionsBefore;

    @BeforeEach
    void countRows() {
        api = new ApiClient(port);
        imagesBefore = count("image");
        predictionsBefore = count("prediction");
    }

    @AfterEach
    void nothingWasStoredAndTheServiceIsHealthy() {
        assertThat(count("image")).isEqualTo(imagesBefore);
        assertThat(count("prediction")).isEqualTo(predictionsBefore);
        assertThat(api.get("/actuator/health").body().path("status").asString()).isEqualTo("UP");
    }

    @Test
    void emptyPart() {
        assertProblem(api.upload(new byte[0]), 400, "empty-file");
    }

    @Test
    void bytesThatAreNoImage() {
        byte[] text = "Patient: nobody. This is not an image.".getBytes();
        assertProblem(api.upload(text), 415, "unsupported-format");
    }

    @Test
    void truncatedPng() {
        byte[] png = TestImages.syntheticPng(7, 300, 300);
        assertProblem(api.upload(Arrays.copyOf(png, png.length / 2)), 422, "corrupt-image");
    }

    @Test
    void pngWithDamagedImageData() {
        byte[] png = TestImages.syntheticPng(8, 300, 300);
        // Overwrite compressed pixel data and fix nothing else: the CRC check catches it.
        byte[] damaged = png.clone();
        for (int i = 60; i < 120; i++) {
            damaged[i] ^= 0x5a;
        }
        assertProblem(api.upload(damaged), 422, "corrupt-image");
    }

    @Test
    void headerDeclaring60000By60000Pixels() {
        Answer answer = api.upload(TestImages.pngDeclaring(60000, 60000));
        assertProblem(answer, 422, "image-too-large");
        assertThat(answer.body().path("detail").asString()).contains("60000 x 60000");
    }

    @Test
    void uploadOverTheConfiguredSizeLimit() {
        byte[] big = new byte[5 * 1024 * 1024];
        new Random(1).nextBytes(big);
        assertProblem(api.upload(big), 413, "upload-too-large");
    }

    @Test
    void requestOverTheConfiguredRequestLimit() {
        byte[] a = new byte[3 * 1024 * 1024];
        byte[] b = new byte[3 * 1024 * 1024];
        byte[] c = new byte[3 * 1024 * 1024];
        new Random(2).nextBytes(a);
        Answer answer = api.upload(a, b, c);
        assertProblem(answer, 413, "upload-too-large");
        assertThat(answer.body().path("detail").asString()).contains("max-request-size");
    }

    @Test
    void multipartBodyCutOffBeforeItsClosingDelimiter() {
        byte[] png = TestImages.syntheticPng(10, 300, 300);
        String head = "--cut\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n";
        byte[] body = Arrays.copyOf(head.getBytes(StandardCharsets.US_ASCII), head.length() + png.length);
        System.arraycopy(png, 0, body, head.length(), png.length);
        // The whole PNG arrived, but no delimiter after it: it might have been longer.
        assertProblem(api.post("/api/v1/images", "multipart/form-data; boundary=cut", body), 400,
                "malformed-multipart");
        assertProblem(api.post("/api/v1/images", "multipart/form-data", body), 400, "malformed-multipart");
    }

    @Test
    void bodyCutShortOfItsContentLength() throws IOException {
        byte[] png = TestImages.syntheticPng(11, 300, 300);
        for (String contentType : new String[] {"multipart/form-data; boundary=cut", "application/dicom"}) {
            try (Socket socket = new Socket("localhost", port)) {
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /api/v1/images HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + contentType
                        + "\r\nContent-Length: " + (10 * png.length) + "\r\nAuthorization: "
                        + TestSecurity.allRoles().getFirst("Authorization") + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(png);
                out.flush();
                socket.shutdownOutput(); // the client stops sending nine tenths short
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).as(contentType).startsWith("HTTP/1.1 400")
                        .contains("application/problem+json").contains("urn:chestlens:problem:unreadable-request")
                        .contains("\"instance\":\"/api/v1/images\"");
            }
        }
    }

    @Test
    void imageWithoutContrast() {
        BufferedImage flat = new BufferedImage(300, 300, BufferedImage.TYPE_BYTE_GRAY);
        assertProblem(api.upload(TestImages.encode(flat)), 422, "no-contrast");
    }

    @Test
    void requestWithoutAFilePart() {
        MultiValueMap<String, Object> body = new LinkedMultiValueMap<>();
        body.add("comment", "no file here");
        assertProblem(api.post("/api/v1/images", body), 400, "missing-file");
    }

    @Test
    void oneBadFileRejectsTheWholeRequest() {
        byte[] good = TestImages.syntheticPng(9, 300, 300);
        byte[] bad = Arrays.copyOf(good, 100);
        Answer answer = api.upload(good, bad);
        assertProblem(answer, 422, "corrupt-image");
        assertThat(answer.body().path("part").asString()).isEqualTo("#2");
        assertThat(count("image WHERE sha256 = '" + IngestService.sha256(good) + "'")).isZero();
    }

    private void assertProblem(Answer answer, int status, String type) {
        assertThat(answer.status()).isEqualTo(status);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.body().path("type").asString()).isEqualTo("urn:chestlens:problem:" + type);
        assertThat(answer.body().path("status").asInt()).isEqualTo(status);
        assertThat(answer.body().path("detail").asString()).isNotBlank();
    }

    private long count(String tableAndCondition) {
        return jdbc.sql("SELECT count(*) FROM " + tableAndCondition).query(Long.class).single();
    }
}
