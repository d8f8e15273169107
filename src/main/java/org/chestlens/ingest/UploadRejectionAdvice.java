package org.chestlens.ingest;

import java.util.LinkedHashMap;
import java.util.Map;

import org.chestlens.platform.ApiProblem;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * The one place an {@link UploadRejectedException} becomes problem+json: status, problem type and
 * title per {@link RejectionReason}, the file's label as {@code part}, and {@code retryAfter} with
 * its Retry-After header when the service, not the upload, was the obstacle. Ordered before the
 * platform's catch-all advice, which would otherwise answer 500.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class UploadRejectionAdvice {

    private record Answer(HttpStatus status, String type, String title) {
    }

    @ExceptionHandler(UploadRejectedException.class)
    ResponseEntity<ProblemDetail> rejected(UploadRejectedException rejection) {
        ApiProblem problem = problem(rejection);
        return ResponseEntity.status(problem.getStatusCode()).headers(problem.getHeaders()).body(problem.getBody());
    }

    static ApiProblem problem(UploadRejectedException rejection) {
        Answer answer = answer(rejection.reason());
        Map<String, Object> properties = new LinkedHashMap<>();
        if (rejection.part() != null) {
            properties.put("part", rejection.part());
        }
        properties.putAll(rejection.properties());
        rejection.retryAfterSeconds().ifPresent(seconds -> properties.put("retryAfter", seconds));
        ApiProblem problem = new ApiProblem(answer.status(), answer.type(), answer.title(), rejection.detail(),
                properties, null);
        rejection.retryAfterSeconds().ifPresent(seconds ->
                problem.getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(seconds)));
        return problem;
    }

    private static Answer answer(RejectionReason reason) {
        return switch (reason) {
            case EMPTY_FILE -> new Answer(HttpStatus.BAD_REQUEST, "empty-file", "Empty file");
            case TOO_MANY_FILES -> new Answer(HttpStatus.BAD_REQUEST, "too-many-files", "Too many files");
            case SUBJECT_CONFLICT -> new Answer(HttpStatus.CONFLICT, "subject-conflict",
                    "Image stored with another subject");
            case UPLOAD_TOO_LARGE -> new Answer(HttpStatus.CONTENT_TOO_LARGE, "upload-too-large", "Upload too large");
            case UNSUPPORTED_FORMAT -> new Answer(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-format",
                    "Unsupported image format");
            case UNSUPPORTED_TRANSFER_SYNTAX -> new Answer(HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-transfer-syntax", "Unsupported DICOM transfer syntax");
            case CORRUPT_IMAGE -> new Answer(HttpStatus.UNPROCESSABLE_CONTENT, "corrupt-image", "Corrupt image");
            case IMAGE_TOO_LARGE -> new Answer(HttpStatus.UNPROCESSABLE_CONTENT, "image-too-large", "Image too large");
            case NO_CONTRAST -> new Answer(HttpStatus.UNPROCESSABLE_CONTENT, "no-contrast", "Image has no contrast");
            case NOT_A_CHEST_RADIOGRAPH -> new Answer(HttpStatus.UNPROCESSABLE_CONTENT, "not-a-chest-radiograph",
                    "Not a chest radiograph");
            case NOT_GREYSCALE -> new Answer(HttpStatus.UNPROCESSABLE_CONTENT, "not-greyscale",
                    "Not a greyscale radiograph");
            case UNSUPPORTED_PIXEL_DATA -> new Answer(HttpStatus.UNPROCESSABLE_CONTENT, "unsupported-pixel-data",
                    "Unsupported pixel data");
            case QUEUE_FULL -> new Answer(HttpStatus.TOO_MANY_REQUESTS, "queue-full", "Inference queue full");
            case BUSY -> new Answer(HttpStatus.TOO_MANY_REQUESTS, "busy", "Busy");
        };
    }
}
