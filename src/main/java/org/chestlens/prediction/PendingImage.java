package org.chestlens.prediction;

/**
 * A decoded, pre-processed upload waiting to be committed with its inference job.
 *
 * @param input the model input (one grey channel, row-major float32)
 */
public record PendingImage(NewImage image, float[] input, int inputHeight, int inputWidth, double decodeMillis) {
}
