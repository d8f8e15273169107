package org.chestlens;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The reference tensors the export script wrote with torchvision and the traced folds: for each
 * reference PNG, the model input (first channel, float32 little-endian) and the fold outputs; for a
 * format-2 package also the class activation maps averaged over folds and each fold's bias.
 */
public final class ReferenceTensors {

    /**
     * @param cam fold-averaged class activation maps, [outputs][camHeight][camWidth] flattened; null in format 1
     * @param foldBias per fold, the classifier's bias per output (the maps leave it out); null in format 1
     * @param foldOodScores per fold, the smallest Mahalanobis distance to a training class mean; null without
     *                      out-of-distribution statistics
     * @param oodScore their mean over folds, the image's out-of-distribution score; NaN without statistics
     */
    public record Case(String png, float[] input, int height, int width, float[][] foldLogits,
                       double[] ensembleProbabilities, float[] cam, int[] camShape, float[][] foldBias,
                       double[] foldOodScores, double oodScore) {
    }

    private ReferenceTensors() {
    }

    public static List<Case> load(Path referenceDir) {
        return load(referenceDir, referenceDir.resolve("manifest.json"));
    }

    /** From another manifest (e.g. one kept from an earlier package version), with the files of {@code referenceDir}. */
    public static List<Case> load(Path referenceDir, Path manifestFile) {
        try {
            JsonNode manifest = JsonMapper.builder().build().readTree(manifestFile.toFile());
            List<Case> cases = new ArrayList<>();
            for (JsonNode image : manifest.path("images")) {
                float[] input = floats(referenceDir.resolve(image.path("input").asString()));
                float[][] logits = matrix(image.path("foldLogits"));
                float[] cam = image.has("cam") ? floats(referenceDir.resolve(image.path("cam").asString())) : null;
                int[] camShape = image.has("camShape") ? new int[] {image.path("camShape").path(0).asInt(),
                        image.path("camShape").path(1).asInt(), image.path("camShape").path(2).asInt()} : null;
                float[][] bias = image.has("foldBias") ? matrix(image.path("foldBias")) : null;
                JsonNode ensemble = image.path("ensembleProbabilities");
                double[] probabilities = new double[ensemble.size()];
                for (int k = 0; k < probabilities.length; k++) {
                    probabilities[k] = ensemble.path(k).asDouble();
                }
                double[] foldOod = image.has("foldOodScores") ? doubles(image.path("foldOodScores")) : null;
                cases.add(new Case(image.path("png").asString(), input, image.path("height").asInt(),
                        image.path("width").asInt(), logits, probabilities, cam, camShape, bias, foldOod,
                        image.has("oodScore") ? image.path("oodScore").asDouble() : Double.NaN));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static float[] floats(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        float[] values = new float[raw.length / Float.BYTES];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    private static double[] doubles(JsonNode values) {
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.path(i).asDouble();
        }
        return out;
    }

    private static float[][] matrix(JsonNode rows) {
        float[][] values = new float[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            values[r] = new float[rows.path(r).size()];
            for (int k = 0; k < values[r].length; k++) {
                values[r][k] = (float) rows.path(r).path(k).asDouble();
            }
        }
        return values;
    }
}
