package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;

import org.chestlens.ingest.RejectionReason;
import org.chestlens.platform.ApiProblem;
import org.junit.jupiter.api.Test;

/** The request-level rules of STOW-RS that need no running service. */
class StowRsRequestTest {

    @Test
    void theBoundaryIsTakenQuotedOrNotAndMayBeLongerThanRfc2046Allows() {
        assertThat(StowRsController.boundaryOf("multipart/related; type=\"application/dicom\"; boundary=\"a b\""))
                .isEqualTo("a b");
        assertThat(StowRsController.boundaryOf("Multipart/Related; boundary=xyz")).isEqualTo("xyz");
        // Orthanc's STOW-RS client: two UUIDs joined by a dash, 73 characters.
        String orthanc = "8e5b2a4c-1f0e-4c1b-9a65-3d1f5e7a9b20-8e5b2a4c-1f0e-4c1b-9a65-3d1f5e7a9b20";
        assertThat(StowRsController.boundaryOf("multipart/related; type=\"application/dicom\"; boundary=" + orthanc))
                .isEqualTo(orthanc);
    }

    @Test
    void aRootTypeOtherThanApplicationDicomIs415AndNoBoundaryIs400() {
        assertThatThrownBy(() -> StowRsController.boundaryOf(
                "multipart/related; type=\"application/dicom+json\"; boundary=x"))
                .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.getStatusCode().value()).isEqualTo(415));
        assertThatThrownBy(() -> StowRsController.boundaryOf("multipart/related; type=\"application/dicom\""))
                .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.getStatusCode().value()).isEqualTo(400));
        assertThatThrownBy(() -> StowRsController.boundaryOf("not a media type"))
                .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.getStatusCode().value()).isEqualTo(415));
    }

    @Test
    void aPartsContentLengthIsReadWhenUsable() {
        assertThat(StowRsService.contentLength("Content-Type: application/dicom\r\nContent-Length: 1234\r\n\r\n"))
                .isEqualTo(1234L);
        assertThat(StowRsService.contentLength("content-length:  7\r\n\r\n")).isEqualTo(7L);
        assertThat(StowRsService.contentLength("Content-Length: -1\r\n\r\n")).isNull();
        assertThat(StowRsService.contentLength("Content-Length: lots\r\n\r\n")).isNull();
        assertThat(StowRsService.contentLength("Content-Type: application/dicom\r\n\r\n")).isNull();
    }

    @Test
    void anEmptyBodyHasNoPartsAnd400() {
        StowRsService service = new StowRsService(null, null, null, null);
        assertThatThrownBy(() -> service.store(new ByteArrayInputStream(new byte[0]), "b", null, l -> l))
                .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.getStatusCode().value()).isEqualTo(400));
    }

    @Test
    void eachIngestRejectionHasAFailureReason() {
        Map<RejectionReason, Integer> expected = new EnumMap<>(RejectionReason.class);
        EnumSet.of(RejectionReason.QUEUE_FULL, RejectionReason.BUSY, RejectionReason.IMAGE_TOO_LARGE,
                RejectionReason.UPLOAD_TOO_LARGE).forEach(r -> expected.put(r, 0xA700));
        EnumSet.of(RejectionReason.CORRUPT_IMAGE, RejectionReason.UNSUPPORTED_FORMAT, RejectionReason.EMPTY_FILE)
                .forEach(r -> expected.put(r, 0xC000));
        expected.put(RejectionReason.UNSUPPORTED_TRANSFER_SYNTAX, 0xC122);
        EnumSet.of(RejectionReason.NOT_GREYSCALE, RejectionReason.UNSUPPORTED_PIXEL_DATA, RejectionReason.NO_CONTRAST,
                RejectionReason.NOT_A_CHEST_RADIOGRAPH, RejectionReason.SUBJECT_CONFLICT, RejectionReason.TOO_MANY_FILES).forEach(r -> expected.put(r, 0x0110));
        assertThat(expected.keySet()).isEqualTo(EnumSet.allOf(RejectionReason.class));
        expected.forEach((reason, code) -> assertThat(StowRsService.failureReason(reason)).as(reason.name())
                .isEqualTo(code));
    }
}
