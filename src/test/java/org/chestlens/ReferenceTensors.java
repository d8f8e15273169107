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
 * reference PNG, the model input (first channel, float32 little-endian) and the fold outputs.
 */
public final class ReferenceTensors {

    public record Case(String png, float[] input, int height, int width, float[][] foldLogits,
                       double[] ensembleProbabilities) {
    }

    private ReferenceTensors() {
    }

    public static List<Case> load(Path referenceDir) {
        try {
            JsonNode manifest = JsonMapper.builder().build().readTree(referenceDir.resolve("manifest.json").toFile());
            List<Case> cases = new ArrayList<>();
            for (JsonNode image : manifest.path("images")) {
                byte[] raw = Files.readAllBytes(referenceDir.resolve(image.path("input").asString()));
                float[] input = new float[raw.length / Float.BYTES];
                ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(input);
                JsonNode folds = image.path("foldLogits");
                float[][] logits = new float[folds.size()][];
                for (int f = 0; f < folds.size(); f++) {
                    logits[f] = new float[folds.path(f).size()];
                    for (int k = 0; k < logits[f].length; k++) {
                        logits[f][k] = (float) folds.path(f).path(k).asDouble();
                    }
                }
                JsonNode ensemble = image.path("ensembleProbabilities");
                double[] probabilities = new double[ensemble.size()];
                for (int k = 0; k < probabilities.length; k++) {
                    probabilities[k] = ensemble.path(k).asDouble();
                }
                cases.add(new Case(image.path("png").asString(), input, image.path("height").asInt(),
                        image.path("width").asInt(), logits, probabilities));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
