package org.chestlens.ingest;

import java.util.List;

/**
 * The DICOM attributes kept with an image: what later explains where the model fails (device,
 * site, view, patient sex and age band, pixel spacing, compression) and what identifies the
 * instance. Nothing here names the patient: PatientName, PatientBirthDate and addresses are never
 * copied out of the file, and PatientID travels separately so that only its keyed hash is stored.
 * Text values are trimmed; absent or empty ones are null.
 *
 * @param pixelSpacing row and column spacing in mm, empty when absent or unreadable
 */
record DicomMetadata(
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
        int bitsStored,
        int rows,
        int columns,
        List<Double> pixelSpacing,
        String transferSyntaxUid) {

    DicomMetadata {
        pixelSpacing = List.copyOf(pixelSpacing);
    }
}
