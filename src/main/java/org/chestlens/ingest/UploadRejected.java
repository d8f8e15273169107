package org.chestlens.ingest;

import static org.chestlens.ingest.RejectionReason.BUSY;
import static org.chestlens.ingest.RejectionReason.CORRUPT_IMAGE;
import static org.chestlens.ingest.RejectionReason.EMPTY_FILE;
import static org.chestlens.ingest.RejectionReason.IMAGE_TOO_LARGE;
import static org.chestlens.ingest.RejectionReason.NOT_GREYSCALE;
import static org.chestlens.ingest.RejectionReason.NO_CONTRAST;
import static org.chestlens.ingest.RejectionReason.QUEUE_FULL;
import static org.chestlens.ingest.RejectionReason.SUBJECT_CONFLICT;
import static org.chestlens.ingest.RejectionReason.TOO_MANY_FILES;
import static org.chestlens.ingest.RejectionReason.UNSUPPORTED_FORMAT;
import static org.chestlens.ingest.RejectionReason.UNSUPPORTED_PIXEL_DATA;
import static org.chestlens.ingest.RejectionReason.UNSUPPORTED_TRANSFER_SYNTAX;
import static org.chestlens.ingest.RejectionReason.UPLOAD_TOO_LARGE;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The rejections of the ingest path, each with the detail a client reads. */
final class UploadRejected {

    private UploadRejected() {
    }

    static UploadRejectedException emptyFile(String part) {
        return file(EMPTY_FILE, "File " + part + " is empty.", part);
    }

    static UploadRejectedException unsupportedFormat(String part) {
        return file(UNSUPPORTED_FORMAT, "File " + part + " is neither a PNG image nor a DICOM Part 10 file.", part);
    }

    static UploadRejectedException corrupt(String part, String reason) {
        return file(CORRUPT_IMAGE, "File " + part + " cannot be decoded: " + reason, part);
    }

    static UploadRejectedException tooManyPixels(String part, long width, long height, long maxPixels) {
        return file(IMAGE_TOO_LARGE, "File " + part + " declares " + width + " x " + height + " pixels; at most "
                + maxPixels + " pixels are accepted.", part);
    }

    static UploadRejectedException noContrast(String part) {
        return file(NO_CONTRAST, "File " + part + " has the same value in every pixel; it cannot be normalised.",
                part);
    }

    static UploadRejectedException tooManyFiles(int count, int max) {
        return new UploadRejectedException(TOO_MANY_FILES,
                count + " files in one request; at most " + max + " are accepted.", null, Map.of(), null);
    }

    static UploadRejectedException tooLarge(String detail) {
        return new UploadRejectedException(UPLOAD_TOO_LARGE, detail, null, Map.of(), null);
    }

    static UploadRejectedException queueFull(long retryAfterSeconds) {
        return new UploadRejectedException(QUEUE_FULL, "The service has as many images waiting as it accepts; "
                + "retry after " + retryAfterSeconds + " s.", null, Map.of(), retryAfterSeconds);
    }

    static UploadRejectedException busy(long retryAfterSeconds) {
        return new UploadRejectedException(BUSY, "All decode slots are in use; retry later.", null, Map.of(),
                retryAfterSeconds);
    }

    static UploadRejectedException notDicomPart10(String part) {
        return file(UNSUPPORTED_FORMAT, "File " + part + " is not a DICOM Part 10 file (no 128-byte preamble "
                + "followed by DICM).", part);
    }

    /** DICOM whose pixel data no decoder here reads bit-exactly; the client can re-send it transcoded. */
    static UploadRejectedException unsupportedTransferSyntax(String part, String uid, String name) {
        String named = name == null ? uid : name + " (" + uid + ")";
        return new UploadRejectedException(UNSUPPORTED_TRANSFER_SYNTAX, "File " + part + " uses the transfer syntax "
                + named + ", which this service cannot decode exactly. Send it uncompressed, deflated, as RLE, "
                + "JPEG lossless or JPEG 2000.", part, Map.of("transferSyntax", uid), null);
    }

    static UploadRejectedException notGreyscale(String part, String photometricInterpretation, int samplesPerPixel) {
        return file(NOT_GREYSCALE, "File " + part + " has Photometric Interpretation " + photometricInterpretation
                + " with " + samplesPerPixel + " sample(s) per pixel; only MONOCHROME1 and MONOCHROME2 images are "
                + "scored.", part);
    }

    static UploadRejectedException unsupportedPixelData(String part, String reason) {
        return file(UNSUPPORTED_PIXEL_DATA, "File " + part + " cannot be scored: " + reason, part);
    }

    /** The input gate's certain findings; {@code checks} names the checks (their configuration names). */
    static UploadRejectedException notAChestRadiograph(String part, List<String> findings, List<String> checks) {
        return new UploadRejectedException(RejectionReason.NOT_A_CHEST_RADIOGRAPH, "File " + part
                + " is not what the model reads (one frontal chest radiograph): " + String.join("; ", findings)
                + ".", part, Map.of("checks", checks), null);
    }

    /** Names the images by id only: either subject reference would identify a patient. */
    static UploadRejectedException subjectConflict(List<UUID> images) {
        return new UploadRejectedException(SUBJECT_CONFLICT, images.size() + " of the images is already stored "
                + "with a different subject; its results keep naming that subject. Check the patient, or upload "
                + "without 'subject'.", null, Map.of("images", images), null);
    }

    private static UploadRejectedException file(RejectionReason reason, String detail, String part) {
        return new UploadRejectedException(reason, detail, part, Map.of(), null);
    }
}
