package org.chestlens.prediction;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * How far an image lies from the model's training images: the Mahalanobis distance of its pooled features to
 * the nearest class mean of the training set (mean over the folds), and the threshold above which it is
 * flagged (the training set's 99th percentile, shipped in the model package). docs/safety.md.
 */
@Schema(name = "OutOfDistribution", description = "How far the image lies from the model's training images "
        + "(Mahalanobis distance of its pooled features to the nearest training class mean, mean over folds); "
        + "flagged when the score is above the threshold, the training set's 99th percentile. Absent when the "
        + "model package has no out-of-distribution statistics or the check is off.")
public record OutOfDistribution(double score, double threshold, boolean flagged) {

    public static OutOfDistribution of(double score, double threshold) {
        return new OutOfDistribution(score, threshold, score > threshold);
    }
}
