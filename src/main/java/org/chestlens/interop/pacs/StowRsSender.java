package org.chestlens.interop.pacs;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

import org.chestlens.interop.outbox.Backoff;
import org.chestlens.interop.outbox.OutboxTable;
import org.chestlens.interop.outbox.OutboxTable.Verdict;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * DICOMweb STOW-RS (PS3.18 10.5): one POST of {@code multipart/related; type="application/dicom"} with the one
 * object to the destination's studies URL. 200, or 202 without a Failed SOP Sequence, is delivered; 408, 429 and
 * 5xx (and no answer at all) are retried; any other 4xx, or a Failed SOP Sequence (00081198), means the receiver
 * refused this very object: FAILED at once, an operator may re-send it after fixing the cause.
 */
final class StowRsSender implements PacsSender {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PacsProperties.Destination destination;
    private final HttpClient http;

    StowRsSender(PacsProperties.Destination destination) {
        this.destination = destination;
        this.http = HttpClient.newBuilder().connectTimeout(destination.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** Whether a STOW-RS answer (application/dicom+json) has a Failed SOP Sequence with an item. */
    static boolean namesFailedInstances(String body) {
        if (body == null || body.isBlank()) {
            return false;
        }
        try {
            JsonNode failed = JSON.readTree(body).path("00081198").path("Value");
            return failed.isArray() && !failed.isEmpty();
        } catch (RuntimeException notJson) {
            return false; // an answer that is not DICOM JSON names nothing; the status decides
        }
    }

    @Override
    public OutboxTable.Outcome send(DicomObject object) {
        Instant attemptedAt = Instant.now();
        long start = System.nanoTime();
        String boundary = "chestlens-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream(object.part10().length + 256);
        body.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        body.writeBytes(object.part10());
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        HttpRequest.Builder request = HttpRequest.newBuilder(destination.url()).timeout(destination.timeout())
                .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
                .header("Accept", "application/dicom+json")
                .header("User-Agent", "chestlens-stow-rs")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        if (destination.authorization() != null && !destination.authorization().isBlank()) {
            request.header("Authorization", destination.authorization());
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            int status = response.statusCode();
            String answer = "HTTP " + status;
            double millis = PacsSender.millis(start);
            boolean failedSop = namesFailedInstances(response.body());
            if ((status == 200 || status == 202) && !failedSop) {
                return new OutboxTable.Outcome(Verdict.DELIVERED, answer, null, millis, attemptedAt);
            }
            boolean retry = status == 408 || status == 429 || status >= 500 || status < 200;
            return new OutboxTable.Outcome(retry ? Verdict.RETRY : Verdict.REJECTED, answer,
                    failedSop ? "the answer's Failed SOP Sequence names the object" : answer, millis, attemptedAt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new OutboxTable.Outcome(Verdict.RETRY, null, "interrupted", PacsSender.millis(start), attemptedAt);
        } catch (Exception e) {
            return new OutboxTable.Outcome(Verdict.RETRY, null, Backoff.describe(e), PacsSender.millis(start),
                    attemptedAt);
        }
    }
}
