package org.chestlens.prediction;

import io.swagger.v3.oas.annotations.media.Schema;

/** Names a study by its Study Instance UID, in the body (never in a URL). */
@Schema(name = "StudyRequest")
record StudyRequest(
        @Schema(description = "DICOM Study Instance UID", example = "1.2.826.0.1.3680043.10.543.1",
                requiredMode = Schema.RequiredMode.REQUIRED)
        String studyInstanceUid) {

    @Override
    public String toString() {
        return "StudyRequest[studyInstanceUid=***]";
    }
}
