package org.chestlens.prediction;

import java.time.Instant;
import java.util.UUID;

/**
 * Published (synchronously, inside the transaction) when a job has used its attempts and is marked
 * failed for good. A failure that will be retried publishes nothing.
 *
 * @param reason what clients may read about the failure (the job's {@code failureReason})
 */
public record PredictionFailed(UUID jobId, UUID imageId, String modelId, String modelVersion, int attempts,
                               String reason, Instant occurredAt) {
}
