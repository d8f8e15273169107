package org.chestlens.inference;

import java.util.List;

/**
 * The {@code model.json} of a model package: what the model is, how to feed it, and its fold files.
 * {@code notice} (optional) is shown with every prediction, e.g. for a demonstration model.
 */
record ModelManifest(
        String id,
        String version,
        boolean trained,
        String description,
        String architecture,
        String outputFormulation,
        String output,
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
}
