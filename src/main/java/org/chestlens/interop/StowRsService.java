package org.chestlens.interop;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import org.apache.commons.fileupload2.core.MultipartInput;
import org.chestlens.ingest.IngestProperties;
import org.chestlens.ingest.IngestService;
import org.chestlens.ingest.RejectionReason;
import org.chestlens.ingest.UploadBudget;
import org.chestlens.ingest.UploadRejectedException;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.Priority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * Stores the instances of one STOW-RS request body, part by part, as they arrive. Each part is read
 * into memory on its own (bounded by {@code chestlens.ingest.max-body-size} and holding room in the
 * ingest {@link UploadBudget} while it is handled) and goes through {@link IngestService} as a
 * one-file upload: the same validation, the same dedupe by SOP Instance UID, a durable job committed
 * before it counts as stored, and scoring by the micro-batcher. So a request of many 30 MB instances
 * never holds more than one of them, and each instance succeeds or fails on its own, as the Store
 * Instances Response reports it.
 */
@Service
class StowRsService {

    private static final Logger log = LoggerFactory.getLogger(StowRsService.class);
    /** Part headers are a line or two; anything longer is not a STOW-RS client. */
    private static final int MAX_PART_HEADER_BYTES = 16 * 1024;

    private final IngestService ingest;
    private final UploadBudget budget;
    private final IngestProperties properties;
    private final DatabaseAvailability database;

    StowRsService(IngestService ingest, UploadBudget budget, IngestProperties properties,
                  DatabaseAvailability database) {
        this.ingest = ingest;
        this.budget = budget;
        this.properties = properties;
        this.database = database;
    }

    /**
     * @param body the request body, read once from start to end
     * @param boundary the multipart boundary from the request's Content-Type
     * @param study the Study Instance UID of the target resource, or null for /studies
     * @param retrieveUrl turns an image's location (/api/v1/images/{id}) into an absolute URL
     */
    StoreInstancesResponse store(InputStream body, String boundary, String study,
                                 Function<String, String> retrieveUrl) {
        return store(body, boundary, study, retrieveUrl, Priority.ROUTINE);
    }

    /** The same, with the priority the new instances' jobs get. */
    StoreInstancesResponse store(InputStream body, String boundary, String study,
                                 Function<String, String> retrieveUrl, Priority priority) {
        StoreInstancesResponse response = new StoreInstancesResponse();
        int parts = 0;
        try {
            MultipartInput input = MultipartInput.builder().setInputStream(body)
                    .setBoundary(boundary.getBytes(StandardCharsets.ISO_8859_1))
                    .setMaxPartHeaderSize(MAX_PART_HEADER_BYTES).get();
            input.setHeaderCharset(StandardCharsets.ISO_8859_1);
            boolean more = input.skipPreamble();
            while (more) {
                Long declaredLength = contentLength(input.readHeaders());
                parts++;
                storePart(input, "#" + parts, declaredLength, study, retrieveUrl, response, priority);
                more = input.readBoundary();
            }
        } catch (IOException e) {
            // Instances before the damage are stored already; a client that sends the request again
            // gets them back as stored (same SOP Instance UIDs) without a second image or job.
            throw malformed("The multipart/related body cannot be read after " + parts + " part(s): "
                    + e.getMessage());
        }
        if (parts == 0) {
            throw malformed("The multipart/related body holds no part delimited by its boundary.");
        }
        log.info("STOW-RS{}: {} instance(s) stored, {} failed", study == null ? "" : " to one study",
                response.stored().size(), response.failed().size());
        return response;
    }

    private void storePart(MultipartInput input, String label, Long declaredLength, String study,
                           Function<String, String> retrieveUrl, StoreInstancesResponse response, Priority priority)
            throws IOException {
        long limit = properties.maxBodySize().toBytes();
        long room = declaredLength != null ? Math.min(declaredLength, limit) : limit;
        UploadBudget.Lease lease;
        try {
            lease = budget.acquire(room);
        } catch (UploadRejectedException busy) {
            try (InputStream skipped = input.newInputStream()) {
                skipped.transferTo(OutputStream.nullOutputStream());
            }
            response.failed(new StoreInstancesResponse.Failed(null, null, StoreInstancesResponse.OUT_OF_RESOURCES));
            busy.retryAfterSeconds().ifPresent(response::busy);
            return;
        }
        // Closing the part stream skips whatever of the part was not read.
        try (lease; InputStream part = input.newInputStream()) {
            byte[] bytes = part.readNBytes((int) Math.min(Integer.MAX_VALUE - 8L, room + 1));
            if (bytes.length > room) {
                IngestService.InstanceIds ids = ingest.identify(bytes);
                // Longer than chestlens.ingest.max-body-size: out of resources; longer than its own
                // Content-Length header: a part this service cannot understand.
                int reason = room == limit ? StoreInstancesResponse.OUT_OF_RESOURCES
                        : StoreInstancesResponse.CANNOT_UNDERSTAND;
                response.failed(new StoreInstancesResponse.Failed(ids.sopClassUid(), ids.sopInstanceUid(), reason));
                return;
            }
            storeInstance(bytes, label, study, retrieveUrl, response, priority);
        }
    }

    private void storeInstance(byte[] bytes, String label, String study, Function<String, String> retrieveUrl,
                               StoreInstancesResponse response, Priority priority) {
        // Judged by content, not by the part's Content-Type: what matters is that it is DICOM Part 10
        // (the upload API would also take a PNG, which a DICOMweb client never means to send).
        if (!IngestService.isDicomPart10(bytes)) {
            response.failed(new StoreInstancesResponse.Failed(null, null, StoreInstancesResponse.CANNOT_UNDERSTAND));
            return;
        }
        IngestService.InstanceIds ids = ingest.identify(bytes);
        if (study != null && ids.readable() && !study.equals(ids.studyInstanceUid())) {
            response.failed(new StoreInstancesResponse.Failed(ids.sopClassUid(), ids.sopInstanceUid(),
                    StoreInstancesResponse.STUDY_MISMATCH));
            return;
        }
        try {
            IngestService.Result result = ingest.ingest(List.of(new IngestService.Upload(label, bytes)), null,
                    Duration.ZERO, null, priority);
            ImageView image = result.images().get(0);
            response.stored(new StoreInstancesResponse.Stored(ids.sopClassUid(), ids.sopInstanceUid(),
                    retrieveUrl.apply(image.location())));
        } catch (UploadRejectedException rejected) {
            response.failed(new StoreInstancesResponse.Failed(ids.sopClassUid(), ids.sopInstanceUid(),
                    failureReason(rejected.reason())));
            // Queue full or decoders busy: the same instance may succeed later.
            rejected.retryAfterSeconds().ifPresent(response::busy);
        } catch (RuntimeException unexpected) {
            if (DatabaseAvailability.isOutage(unexpected)) {
                // Out of resources for now: the same instance may be stored once the database is back.
                response.failed(new StoreInstancesResponse.Failed(ids.sopClassUid(), ids.sopInstanceUid(),
                        StoreInstancesResponse.OUT_OF_RESOURCES));
                response.busy(database.properties().retryAfterSeconds());
                database.rejected();
                return;
            }
            log.error("STOW-RS part {} could not be stored", label, unexpected);
            response.failed(new StoreInstancesResponse.Failed(ids.sopClassUid(), ids.sopInstanceUid(),
                    StoreInstancesResponse.PROCESSING_FAILURE));
        }
    }

    /** Each ingest rejection as a Failure Reason code; a new reason does not compile until it has one. */
    static int failureReason(RejectionReason reason) {
        return switch (reason) {
            case UNSUPPORTED_TRANSFER_SYNTAX -> StoreInstancesResponse.TRANSFER_SYNTAX_NOT_SUPPORTED;
            case QUEUE_FULL, BUSY, IMAGE_TOO_LARGE, UPLOAD_TOO_LARGE -> StoreInstancesResponse.OUT_OF_RESOURCES;
            case CORRUPT_IMAGE, UNSUPPORTED_FORMAT, EMPTY_FILE -> StoreInstancesResponse.CANNOT_UNDERSTAND;
            // Readable DICOM that this service does not score: colour, odd pixel layouts, a flat image.
            case NOT_GREYSCALE, UNSUPPORTED_PIXEL_DATA, NO_CONTRAST, NOT_A_CHEST_RADIOGRAPH ->
                    StoreInstancesResponse.PROCESSING_FAILURE;
            // Not reached from STOW-RS, which names no subject and sends one file per upload.
            case SUBJECT_CONFLICT, TOO_MANY_FILES -> StoreInstancesResponse.PROCESSING_FAILURE;
        };
    }

    /** The part's Content-Length header, if it has a usable one; the boundary ends the part either way. */
    static Long contentLength(String headers) {
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                try {
                    long length = Long.parseLong(line.substring(colon + 1).trim());
                    return length >= 0 ? length : null;
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }

    static ApiProblem malformed(String detail) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, "malformed-multipart", "Malformed multipart request", detail);
    }

}
