package org.chestlens.prediction;

import java.util.UUID;

/**
 * A stored prediction with the stored attributes of its image, as evaluation and error analysis
 * read them.
 *
 * @param probabilities CVX0..CVX3
 * @param foldSpread per class, largest minus smallest fold probability
 */
public record ScoredImage(UUID predictionId, UUID imageId, long modelVersionId, ChestClass predictedClass,
                          double[] probabilities, double scoreCvx03vs12, Double scoreCvx0vs3, Double scoreCvx1vs2,
                          double confidence, double[] foldSpread, Attributes image) {

    /** How the image was acquired, as stored; nothing here names the patient. Null where not recorded. */
    public record Attributes(String format, int width, int height, String modality, String bodyPartExamined,
                             String viewPosition, String patientSex, String patientAge, String manufacturer,
                             String manufacturerModelName, String institutionName, String stationName,
                             String photometricInterpretation, Integer bitsStored, Double kvp,
                             Double distanceSourceToDetector) {
    }
}
