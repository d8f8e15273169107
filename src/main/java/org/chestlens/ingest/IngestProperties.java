package org.chestlens.ingest;

import java.time.Duration;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Limits that keep hostile or accidental uploads from exhausting memory.
 *
 * @param maxPixels largest width x height accepted; checked from the header before decoding
 * @param maxFilesPerRequest most files in one upload request
 * @param maxConcurrentDecodes decodes running at once; each may hold a few hundred MB of pixels
 * @param decodeSlotWait how long an upload waits for a decode slot before it is answered 429
 * @param defaultWait how long an upload without a {@code Prefer} header waits for its results
 *                    before the answer is 202; {@code Prefer: respond-async} answers at once
 * @param maxWait the most a client may ask to wait with {@code Prefer: wait=N}
 * @param maxBodySize largest {@code application/dicom} request body
 * @param maxFileSize largest file in a multipart upload
 * @param maxRequestSize largest multipart upload request, all its parts together
 * @param maxBytesInFlight upload bytes held in memory at once, over all requests; beyond it 429
 * @param patientIdKey secret for the HMAC of DICOM Patient IDs; from a secret store, never the repository
 */
@Validated
@ConfigurationProperties("chestlens.ingest")
public record IngestProperties(
        @Min(1) @DefaultValue("40000000") long maxPixels,
        @Min(1) @Max(256) @DefaultValue("32") int maxFilesPerRequest,
        @Min(1) @DefaultValue("2") int maxConcurrentDecodes,
        @DefaultValue("10s") Duration decodeSlotWait,
        @DefaultValue("10s") Duration defaultWait,
        @DefaultValue("60s") Duration maxWait,
        @DefaultValue("64MB") DataSize maxBodySize,
        @DefaultValue("64MB") DataSize maxFileSize,
        @DefaultValue("256MB") DataSize maxRequestSize,
        @DefaultValue("512MB") DataSize maxBytesInFlight,
        String patientIdKey) {
}
