package org.chestlens.prediction;

/**
 * The Patient Module of a DICOM upload's header as it came: Patient's Name, Patient ID, Patient's Birth Date and
 * Patient's Sex, each null when absent. Never stored by this package and never part of the API: it travels
 * from the decoder to the {@link DicomImageQueued} event only, for an outbox that must file results into the
 * source study (the PACS outbox seals it). {@link #toString()} never prints the values.
 */
public record PatientHeader(String name, String id, String birthDate, String sex) {

    @Override
    public String toString() {
        return "PatientHeader[redacted]";
    }
}
