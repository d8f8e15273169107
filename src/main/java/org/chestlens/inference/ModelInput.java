package org.chestlens.inference;

/**
 * One pre-processed image: the single grey channel of the model input, row-major, values in [0, 1].
 * The model sees it copied into three identical channels.
 */
public record ModelInput(float[] pixels, int height, int width) {

    public ModelInput {
        if (pixels.length != height * width) {
            throw new IllegalArgumentException("pixels has " + pixels.length + " values, expected " + height * width);
        }
    }
}
