package org.chestlens.prediction;

import java.time.Instant;
import java.util.UUID;

/**
 * An inference job as a worker sees it: what to score, with which model version, from which input, and how
 * urgently.
 */
public record QueuedJob(UUID jobId, UUID imageId, String modelId, String modelVersion, float[] input, int inputHeight,
                        int inputWidth, double decodeMillis, int attempts, Instant createdAt, Priority priority) {
}
