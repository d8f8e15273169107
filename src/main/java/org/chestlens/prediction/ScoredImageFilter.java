package org.chestlens.prediction;

import java.time.Instant;
import java.util.Collection;
import java.util.UUID;

/**
 * Which predictions of one model version to read, by their images: the model version and the
 * images are required, every other field is an optional equality or time-range filter (null: any).
 *
 * @param receivedFrom inclusive
 * @param receivedTo   exclusive
 */
public record ScoredImageFilter(String modelId, String modelVersion, Collection<UUID> imageIds, Instant receivedFrom,
                                Instant receivedTo, String modality, String viewPosition, String manufacturer,
                                String manufacturerModelName, String institutionName, String patientSex) {
}
