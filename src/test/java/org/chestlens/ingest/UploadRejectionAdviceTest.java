package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.junit.jupiter.api.Test;

/** The problem+json answer of each rejection reason: the status and type clients branch on. */
class UploadRejectionAdviceTest {

    private static final Map<RejectionReason, String> ANSWERS = Map.ofEntries(
            Map.entry(RejectionReason.EMPTY_FILE, "400 empty-file Empty file"),
            Map.entry(RejectionReason.TOO_MANY_FILES, "400 too-many-files Too many files"),
            Map.entry(RejectionReason.SUBJECT_CONFLICT, "409 subject-conflict Image stored with another subject"),
            Map.entry(RejectionReason.UPLOAD_TOO_LARGE, "413 upload-too-large Upload too large"),
            Map.entry(RejectionReason.UNSUPPORTED_FORMAT, "415 unsupported-format Unsupported image format"),
            Map.entry(RejectionReason.UNSUPPORTED_TRANSFER_SYNTAX,
                    "415 unsupported-transfer-syntax Unsupported DICOM transfer syntax"),
            Map.entry(RejectionReason.CORRUPT_IMAGE, "422 corrupt-image Corrupt image"),
            Map.entry(RejectionReason.IMAGE_TOO_LARGE, "422 image-too-large Image too large"),
            Map.entry(RejectionReason.NO_CONTRAST, "422 no-contrast Image has no contrast"),
            Map.entry(RejectionReason.NOT_A_CHEST_RADIOGRAPH, "422 not-a-chest-radiograph Not a chest radiograph"),
            Map.entry(RejectionReason.NOT_GREYSCALE, "422 not-greyscale Not a greyscale radiograph"),
            Map.entry(RejectionReason.UNSUPPORTED_PIXEL_DATA, "422 unsupported-pixel-data Unsupported pixel data"),
            Map.entry(RejectionReason.QUEUE_FULL, "429 queue-full Inference queue full"),
            Map.entry(RejectionReason.BUSY, "429 busy Busy"));

    @Test
    void everyReasonHasItsStatusTypeAndTitle() {
        assertThat(ANSWERS.keySet()).isEqualTo(EnumSet.allOf(RejectionReason.class));
        ANSWERS.forEach((reason, expected) -> {
            ApiProblem problem = UploadRejectionAdvice.problem(
                    new UploadRejectedException(reason, "detail", null, Map.of(), null));
            assertThat(problem.getStatusCode().value() + " "
                    + problem.getBody().getType().toString().replace(ApiProblem.TYPE_PREFIX, "") + " "
                    + problem.getBody().getTitle()).as(reason.name()).isEqualTo(expected);
        });
    }

    @Test
    void theFileTheFactsAndWhenToRetryAreProperties() {
        ApiProblem syntax = UploadRejectionAdvice.problem(
                UploadRejected.unsupportedTransferSyntax("#2", "1.2.3", null));
        assertThat(syntax.getBody().getProperties()).isEqualTo(Map.of("part", "#2", "transferSyntax", "1.2.3"));
        assertThat(syntax.getHeaders().getFirst("Retry-After")).isNull();

        ApiProblem full = UploadRejectionAdvice.problem(UploadRejected.queueFull(7));
        assertThat(full.getBody().getDetail()).isEqualTo(
                "The service has as many images waiting as it accepts; retry after 7 s.");
        assertThat(full.getBody().getProperties()).isEqualTo(Map.of("retryAfter", 7L));
        assertThat(full.getHeaders().getFirst("Retry-After")).isEqualTo("7");

        List<UUID> images = List.of(UUID.randomUUID());
        ApiProblem conflict = UploadRejectionAdvice.problem(UploadRejected.subjectConflict(images));
        assertThat(conflict.getBody().getProperties()).isEqualTo(Map.of("images", images));
    }
}
