package org.chestlens.prediction;

import java.time.Instant;

/**
 * Filters for listing predictions; every field is optional.
 *
 * @param probabilityOf the class whose probability {@code minProbability}/{@code maxProbability}
 *                      bound; the predicted class when unset
 */
record PredictionQuery(ChestClass predictedClass, ChestClass probabilityOf, Double minProbability,
                              Double maxProbability, Instant createdFrom, Instant createdTo, String modelId,
                              int limit, String cursor) {
}
