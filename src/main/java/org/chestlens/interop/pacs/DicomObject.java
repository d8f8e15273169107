package org.chestlens.interop.pacs;

/**
 * One DICOM object built for a prediction: a Part 10 file (explicit VR little endian) with the UIDs a
 * sender needs (STOW-RS answers and C-STORE requests name them) without parsing the bytes again.
 */
public record DicomObject(byte[] part10, String sopClassUid, String sopInstanceUid, String studyInstanceUid,
                          String seriesInstanceUid) {
}
