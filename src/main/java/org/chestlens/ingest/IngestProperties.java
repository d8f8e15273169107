package org.chestlens.ingest;

import java.nio.file.Path;
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
 * @param defaultWait how long an upload without a Prefer header waits for its results before the
 *                    answer is 202; "Prefer: respond-async" answers at once
 * @param maxWait the most a client may ask to wait with "Prefer: wait=N"
 * @param maxBodySize largest application/dicom request body, and largest part of a DICOMweb STOW-RS request;
 *                    counts against max-bytes-in-flight while it is handled
 * @param maxFileSize largest file in a multipart upload
 * @param maxRequestSize largest multipart upload request, all its parts together (held in memory under
 *                       max-bytes-in-flight, twice its size while its parts are split; send Content-Length,
 *                       or a chunked body is held to this limit)
 * @param maxBytesInFlight upload bytes held in memory at once, over all requests; beyond it 429
 * @param patientIdKey secret for the HMAC of DICOM Patient IDs, 32 characters or more (a shorter one stops the
 *                     start: Patient IDs are easy to guess, so a short key could be found from the hashes); from a
 *                     secret store, never the repository (when unset, a random key per run, with a warning)
 * @param nativeDir folder of the native shims the build compiles (libchestlens-jpeg12.so, for 12-bit JPEG);
 *                  relative to the working directory; the container image sets /opt/chestlens/native
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
        String patientIdKey,
        @DefaultValue(NativeCodecs.DEFAULT_NATIVE_DIR) Path nativeDir) {

    /** Without the key: these settings may be logged or shown, the key must not be. */
    @Override
    public String toString() {
        return "IngestProperties[maxPixels=%d, maxFilesPerRequest=%d, maxConcurrentDecodes=%d, decodeSlotWait=%s, "
                .formatted(maxPixels, maxFilesPerRequest, maxConcurrentDecodes, decodeSlotWait)
                + "defaultWait=%s, maxWait=%s, maxBodySize=%s, maxFileSize=%s, maxRequestSize=%s, maxBytesInFlight=%s, "
                .formatted(defaultWait, maxWait, maxBodySize, maxFileSize, maxRequestSize, maxBytesInFlight)
                + "patientIdKey=%s, nativeDir=%s]".formatted(patientIdKey == null ? "(unset)" : "(set)", nativeDir);
    }
}
