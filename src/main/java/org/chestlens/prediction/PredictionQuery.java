package org.chestlens.prediction;

import java.time.Instant;

/**
 * Filters for listing predictions; every field is optional.
 *
 * @param probabilityOf the class whose probability {@code minProbability}/{@code maxProbability}
 *                      bound; the predicted class when unset
 * @param flag only predictions with this finding among their flags
 * @param outOfDistribution only predictions whose out-of-distribution flag has this value
 * @param sortByProbabilityOf order by this class's probability, highest first, instead of newest first
 * @param priority only predictions whose job was scored at this priority
 */
record PredictionQuery(ChestClass predictedClass, ChestClass probabilityOf, Double minProbability,
                              Double maxProbability, Instant createdFrom, Instant createdTo, String modelId,
                              ChestClass flag, Boolean outOfDistribution, ChestClass sortByProbabilityOf,
                              Priority priority, int limit, String cursor) {
}
