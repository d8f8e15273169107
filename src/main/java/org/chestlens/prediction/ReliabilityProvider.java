package org.chestlens.prediction;

import java.util.Optional;
import java.util.UUID;

/**
 * Implemented by the evaluation feature (which depends on this one, not the other way round): the
 * reliability of a stored prediction, when an error analysis is active for its model version.
 */
public interface ReliabilityProvider {

    Optional<Reliability> reliabilityOf(UUID predictionId, long modelVersionId);
}
