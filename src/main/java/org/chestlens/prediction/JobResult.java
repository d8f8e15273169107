package org.chestlens.prediction;

import java.util.UUID;

/** A finished job and the prediction to store for it. */
public record JobResult(UUID jobId, UUID imageId, NewPrediction prediction) {
}
