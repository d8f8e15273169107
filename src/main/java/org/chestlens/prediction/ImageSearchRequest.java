package org.chestlens.prediction;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * Finds images by the identifiers the hospital knows them by. They travel in the body, never in the URL,
 * so they stay out of access logs, proxies and the audit trail. Given identifiers must all match.
 */
@Schema(name = "ImageSearchRequest", description = "At least one identifier; all that are given must match")
record ImageSearchRequest(
        @Schema(description = "DICOM Accession Number", example = "ACC-2026-0001") String accessionNumber,
        @Schema(description = "DICOM Study Instance UID", example = "1.2.826.0.1.3680043.10.543.1") String studyInstanceUid,
        @Schema(description = "DICOM Series Instance UID") String seriesInstanceUid,
        @Schema(description = "DICOM SOP Instance UID") String sopInstanceUid,
        @Schema(description = "The FHIR subject reference given with the upload", example = "Patient/123") String subject,
        @Schema(description = "Page size, 1 to 500", defaultValue = "50") Integer limit,
        @Schema(description = "nextCursor of the previous page") String cursor) {

    static final int MAX_IDENTIFIER_LENGTH = 500;

    @Override
    public String toString() {
        return "ImageSearchRequest[identifiers=***, limit=" + limit + "]";
    }
}
