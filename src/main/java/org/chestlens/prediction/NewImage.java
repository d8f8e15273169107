package org.chestlens.prediction;

import java.util.List;

/**
 * An accepted upload, described without its pixels and without anything that identifies a patient.
 *
 * @param dicom the kept DICOM attributes, null for PNG
 * @param patientIdHash keyed hash of the DICOM Patient ID, null when absent
 */
public record NewImage(String sha256, String format, long sizeBytes, int width, int height, int bitDepth,
                       String colourType, List<String> warnings, DicomAttributes dicom, String patientIdHash) {

    public NewImage(String sha256, String format, long sizeBytes, int width, int height, int bitDepth,
                    String colourType, List<String> warnings) {
        this(sha256, format, sizeBytes, width, height, bitDepth, colourType, warnings, null, null);
    }
}
