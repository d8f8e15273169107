package org.chestlens.prediction;

import java.util.UUID;

/**
 * Published (synchronously, inside the upload's transaction) when a job is created for a DICOM image: listeners
 * that write to the database join that transaction. The only event that carries the source header's patient
 * module, which is nowhere else to be had once the transaction commits; a listener keeps it only sealed, or not
 * at all.
 */
public record DicomImageQueued(UUID imageId, String modelId, String modelVersion, PatientHeader patient) {
}
