package org.chestlens.inference;

import java.util.List;

/**
 * The {@code model.json} of a model package: what the model is, how to feed it, and its fold files.
 * {@code notice} (optional) is shown with every prediction, e.g. for a demonstration model.
 * {@code formatVersion} 2 (absent: 1) declares that each fold returns its class activation maps
 * beside the logits, described by {@code explanation}; 3 that it also returns its pooled feature vector
 * ({@code features}), from which the out-of-distribution score is computed with the training-set statistics
 * that {@code outOfDistribution} lists. {@code operatingPoints} (optional) are thresholds measured on a
 * labelled set, the model version's first operating point. {@code onnx} (optional) lists the same folds exported
 * to ONNX, which the service runs through ONNX Runtime on the CPU.
 */
record ModelManifest(
        String id,
        String version,
        boolean trained,
        String description,
        String architecture,
        String outputFormulation,
        String output,
        Integer formatVersion,
        Explanation explanation,
        List<ClassEntry> classes,
        Preprocessing preprocessing,
        List<Integer> inputShape,
        List<FoldFile> folds,
        Onnx onnx,
        String intendedUse,
        String limitations,
        String trainingData,
        String notice,
        Features features,
        OutOfDistribution outOfDistribution,
        List<OperatingPoint> operatingPoints) {

    public record ClassEntry(int index, String code, String name) {
    }

    public record Preprocessing(int resize, int centerCrop, int channels, String interpolation, boolean antialias) {
    }

    public record FoldFile(String file, String sha256) {
    }

    /**
     * The folds exported to ONNX: one file per TorchScript fold, in fold order, with the same weights; each takes
     * {@code input} and returns the format's outputs under the names {@code outputs} (logits, maps, features).
     */
    public record Onnx(Integer opset, String input, List<String> outputs, List<FoldFile> folds) {
    }

    /** What a format-2 fold's second output is: {@code shape} [outputs, height, width], the bias left out. */
    public record Explanation(String kind, String layer, List<Integer> shape, String bias) {
    }

    /** What a format-3 fold's third output is: {@code size} features per image. */
    public record Features(String layer, int size) {
    }

    /**
     * The Mahalanobis out-of-distribution statistics (Lee et al. 2018): one file per fold, in fold order, holding
     * float32 little-endian class means [classes, features] then the shared covariance's inverse [features,
     * features]; an image's score is the mean over folds of its smallest distance to a class mean, flagged above
     * {@code threshold}.
     */
    public record OutOfDistribution(String method, double threshold, List<FoldFile> statistics) {
    }

    /** A finding's threshold on its score, with what it achieved on the labelled set it was measured on. */
    public record OperatingPoint(String finding, double threshold, Double sensitivity, Double specificity,
                                 Integer positives, Integer negatives, String measuredOn) {
    }

    int format() {
        return formatVersion == null ? 1 : formatVersion;
    }

    /** Whether every forward also yields class activation maps. */
    boolean explains() {
        return format() >= 2;
    }

    /** The names a fold's outputs have in its ONNX copy, in the order the format defines: logits, maps, features. */
    static List<String> onnxOutputs(int format) {
        return List.of("logits", "maps", "features").subList(0, format);
    }

    /** Whether every forward also yields the pooled features (format 3). */
    boolean hasFeatures() {
        return format() >= 3;
    }
}
