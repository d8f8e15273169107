package org.chestlens.prediction;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * The DICOM attributes stored with an image. Nothing here names the patient; the Patient ID is
 * kept only as a keyed hash and is not part of the API.
 */
@Schema(name = "DicomAttributes", description = "Attributes kept from a DICOM upload; null for PNG")
public record DicomAttributes(
        String modality,
        String bodyPartExamined,
        String viewPosition,
        String patientSex,
        String patientAge,
        String manufacturer,
        String manufacturerModelName,
        String institutionName,
        String stationName,
        String studyInstanceUid,
        String seriesInstanceUid,
        String sopInstanceUid,
        String accessionNumber,
        String studyDate,
        String photometricInterpretation,
        Integer bitsStored,
        List<Double> pixelSpacing,
        String transferSyntaxUid,
        @Schema(description = "Peak kilovoltage (0018,0060)", nullable = true) Double kvp,
        @Schema(description = "Source to detector distance in mm (0018,1110)", nullable = true) Double distanceSourceToDetector,
        @Schema(description = "SOP Class UID (0008,0016), e.g. 1.2.840.10008.5.1.4.1.1.1.1 for Digital X-Ray For "
                + "Presentation; null for images stored before it was kept", nullable = true) String sopClassUid) {
}
