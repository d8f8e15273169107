package org.chestlens.inference;

import java.util.List;

/**
 * The {@code model.json} of a model package: what the model is, how to feed it, and its fold files.
 * {@code notice} (optional) is shown with every prediction, e.g. for a demonstration model.
 * {@code formatVersion} 2 (absent: 1) declares that each fold returns its class activation maps
 * beside the logits, described by {@code explanation}.
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
        String intendedUse,
        String limitations,
        String trainingData,
        String notice) {

    public record ClassEntry(int index, String code, String name) {
    }

    public record Preprocessing(int resize, int centerCrop, int channels, String interpolation, boolean antialias) {
    }

    public record FoldFile(String file, String sha256) {
    }

    /** What a format-2 fold's second output is: {@code shape} [outputs, height, width], the bias left out. */
    public record Explanation(String kind, String layer, List<Integer> shape, String bias) {
    }

    int format() {
        return formatVersion == null ? 1 : formatVersion;
    }

    /** Whether every forward also yields class activation maps. */
    boolean explains() {
        return format() >= 2;
    }
}
