package org.chestlens.prediction;

import java.time.Instant;
import java.util.UUID;

/**
 * An inference job as a worker sees it: what to score, with which model version, from which input, and how
 * urgently.
 *
 * @param inputStored whether the input was committed with the job; false while it is only in this replica's
 *                    memory ({@link JobInputs#HELD_WHILE_CLIENT_WAITS}), until {@link JobStore#storeInputs} writes it
 */
public record QueuedJob(UUID jobId, UUID imageId, String modelId, String modelVersion, float[] input, int inputHeight,
                        int inputWidth, double decodeMillis, int attempts, Instant createdAt, Priority priority,
                        boolean inputStored) {
}
