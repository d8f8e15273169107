package org.chestlens.ingest;

import java.util.Map;

import org.chestlens.platform.ApiProblem;
import org.springframework.http.HttpStatus;

/** Why an uploaded file cannot be scored; each reason has its own status and problem type. */
final class UploadRejected {

    private UploadRejected() {
    }

    static ApiProblem emptyFile(String part) {
        return problem(HttpStatus.BAD_REQUEST, "empty-file", "Empty file", "File " + part + " is empty.", part);
    }

    static ApiProblem unsupportedFormat(String part) {
        return problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-format", "Unsupported image format",
                "File " + part + " is neither a PNG image nor a DICOM Part 10 file.", part);
    }

    static ApiProblem corrupt(String part, String reason) {
        return problem(HttpStatus.UNPROCESSABLE_CONTENT, "corrupt-image", "Corrupt image",
                "File " + part + " cannot be decoded: " + reason, part);
    }

    static ApiProblem tooManyPixels(String part, long width, long height, long maxPixels) {
        return problem(HttpStatus.UNPROCESSABLE_CONTENT, "image-too-large", "Image too large",
                "File " + part + " declares " + width + " x " + height + " pixels; at most " + maxPixels
                        + " pixels are accepted.", part);
    }

    static ApiProblem noContrast(String part) {
        return problem(HttpStatus.UNPROCESSABLE_CONTENT, "no-contrast", "Image has no contrast",
                "File " + part + " has the same value in every pixel; it cannot be normalised.", part);
    }

    static ApiProblem tooManyFiles(int count, int max) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, "too-many-files", "Too many files",
                count + " files in one request; at most " + max + " are accepted.");
    }

    static ApiProblem queueFull(long retryAfterSeconds) {
        ApiProblem problem = new ApiProblem(HttpStatus.TOO_MANY_REQUESTS, "queue-full", "Inference queue full",
                "The service has as many images waiting as it accepts; retry after " + retryAfterSeconds + " s.",
                Map.of("retryAfter", retryAfterSeconds), null);
        problem.getHeaders().set("Retry-After", Long.toString(retryAfterSeconds));
        return problem;
    }

    static ApiProblem busy(long retryAfterSeconds) {
        ApiProblem problem = new ApiProblem(HttpStatus.TOO_MANY_REQUESTS, "busy", "Busy",
                "All decode slots are in use; retry later.", Map.of("retryAfter", retryAfterSeconds), null);
        problem.getHeaders().set("Retry-After", Long.toString(retryAfterSeconds));
        return problem;
    }

    static ApiProblem notDicomPart10(String part) {
        return problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-format", "Unsupported image format",
                "File " + part + " is not a DICOM Part 10 file (no 128-byte preamble followed by DICM).", part);
    }

    /** DICOM whose pixel data no decoder here reads bit-exactly; the client can re-send it transcoded. */
    static ApiProblem unsupportedTransferSyntax(String part, String uid, String name) {
        String named = name == null ? uid : name + " (" + uid + ")";
        return new ApiProblem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-transfer-syntax",
                "Unsupported DICOM transfer syntax", "File " + part + " uses the transfer syntax " + named
                        + ", which this service cannot decode exactly. Send it uncompressed, deflated, as RLE, "
                        + "JPEG lossless or JPEG 2000.",
                Map.of("part", part, "transferSyntax", uid), null);
    }

    static ApiProblem notGreyscale(String part, String photometricInterpretation, int samplesPerPixel) {
        return problem(HttpStatus.UNPROCESSABLE_CONTENT, "not-greyscale", "Not a greyscale radiograph",
                "File " + part + " has Photometric Interpretation " + photometricInterpretation + " with "
                        + samplesPerPixel + " sample(s) per pixel; only MONOCHROME1 and MONOCHROME2 images are "
                        + "scored.", part);
    }

    static ApiProblem unsupportedPixelData(String part, String reason) {
        return problem(HttpStatus.UNPROCESSABLE_CONTENT, "unsupported-pixel-data", "Unsupported pixel data",
                "File " + part + " cannot be scored: " + reason, part);
    }

    private static ApiProblem problem(HttpStatus status, String slug, String title, String detail, String part) {
        return new ApiProblem(status, slug, title, detail, Map.of("part", part), null);
    }
}
