package org.chestlens.prediction;

import java.util.List;

/** An accepted upload, described without its pixels and without anything that identifies a patient. */
public record NewImage(String sha256, String format, long sizeBytes, int width, int height, int bitDepth,
                       String colourType, List<String> warnings) {
}
