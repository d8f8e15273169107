package org.chestlens.prediction;

import java.util.List;

/**
 * An accepted upload, described without its pixels and without anything that identifies a patient.
 *
 * @param dicom the kept DICOM attributes, null for PNG
 * @param patientIdHash keyed hash of the DICOM Patient ID, null when absent
 * @param subjectReference the FHIR subject reference the client supplied (e.g. {@code Patient/123}),
 *                         null when none; it names a patient in the client's system, so it is never logged
 */
public record NewImage(String sha256, String format, long sizeBytes, int width, int height, int bitDepth,
                       String colourType, List<String> warnings, DicomAttributes dicom, String patientIdHash,
                       String subjectReference) {

    public NewImage(String sha256, String format, long sizeBytes, int width, int height, int bitDepth,
                    String colourType, List<String> warnings, DicomAttributes dicom, String patientIdHash) {
        this(sha256, format, sizeBytes, width, height, bitDepth, colourType, warnings, dicom, patientIdHash, null);
    }

    /** The same image, with the client's subject reference (null: none). */
    public NewImage withSubjectReference(String reference) {
        return new NewImage(sha256, format, sizeBytes, width, height, bitDepth, colourType, warnings, dicom,
                patientIdHash, reference);
    }

    public NewImage(String sha256, String format, long sizeBytes, int width, int height, int bitDepth,
                    String colourType, List<String> warnings) {
        this(sha256, format, sizeBytes, width, height, bitDepth, colourType, warnings, null, null, null);
    }
}
