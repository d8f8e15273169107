package org.chestlens.prediction;

import java.util.List;

/**
 * The class activation maps of one prediction, averaged over the ensemble's folds: one coarse grid
 * per raw model output (a class for softmax4, a sub-task for sigmoid3). Each says where on the
 * model's view the evidence for that output lies; the bias is left out, so a map's mean plus the
 * output's bias is its logit.
 *
 * @param outputs what each map explains, in output order (e.g. CVX0..CVX3)
 * @param height rows of one map (7 for DenseNet-121 at 224 x 224: one cell per 32 x 32 pixels)
 * @param width columns of one map
 * @param values {@code outputs.size() * height * width} values, map after map, each row-major
 */
public record ActivationMaps(List<String> outputs, int height, int width, float[] values) {

    public ActivationMaps {
        outputs = List.copyOf(outputs);
        if (height <= 0 || width <= 0 || values.length != outputs.size() * height * width) {
            throw new IllegalArgumentException("Expected " + outputs.size() + " maps of " + height + " x " + width
                    + ", got " + values.length + " values");
        }
    }

    /** The map of one output, row-major; empty if the output is not among them. */
    public java.util.Optional<float[]> map(String output) {
        int index = outputs.indexOf(output);
        if (index < 0) {
            return java.util.Optional.empty();
        }
        int cells = height * width;
        return java.util.Optional.of(java.util.Arrays.copyOfRange(values, index * cells, (index + 1) * cells));
    }
}
