package org.chestlens.prediction;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * The identifiers a hospital knows an image by: the DICOM file's Accession Number and Study, Series and SOP
 * Instance UIDs, and the FHIR {@code subject} reference the uploading client named. Each is null when the
 * upload did not carry it (a PNG has no DICOM identifiers). They let an EHR file a result without a lookup;
 * they are never logged, so {@link #toString()} says only which are present.
 */
@Schema(name = "HospitalIdentifiers", description = "The identifiers the image came with; absent ones are omitted")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HospitalIdentifiers(
        @Schema(description = "DICOM Accession Number (0008,0050)", example = "ACC-2026-0001") String accessionNumber,
        @Schema(description = "DICOM Study Instance UID (0020,000D)") String studyInstanceUid,
        @Schema(description = "DICOM Series Instance UID (0020,000E)") String seriesInstanceUid,
        @Schema(description = "DICOM SOP Instance UID (0008,0018)") String sopInstanceUid,
        @Schema(description = "The upload's FHIR subject reference", example = "Patient/123") String subject) {

    public static final HospitalIdentifiers NONE = new HospitalIdentifiers(null, null, null, null, null);

    @Override
    public String toString() {
        return "HospitalIdentifiers[accessionNumber=" + present(accessionNumber) + ", studyInstanceUid="
                + present(studyInstanceUid) + ", seriesInstanceUid=" + present(seriesInstanceUid)
                + ", sopInstanceUid=" + present(sopInstanceUid) + ", subject=" + present(subject) + "]";
    }

    private static String present(String value) {
        return value == null ? "absent" : "***";
    }
}
