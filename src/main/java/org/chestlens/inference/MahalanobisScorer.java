package org.chestlens.inference;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.chestlens.prediction.OutOfDistribution;

/**
 * The out-of-distribution score of a format-3 package (Lee et al. 2018): per fold, the smallest Mahalanobis
 * distance of the image's pooled features to a class mean of the training set under the shared covariance; the
 * image's score is the mean over folds. The statistics come from the package (models/training/ood_stats.py).
 * <p>
 * {@code d²_c = (x - μ_c)ᵀ P (x - μ_c) = xᵀPx - 2 μ_cᵀPx + μ_cᵀPμ_c}: one matrix-vector product per fold and
 * image instead of one per class, with {@code Pμ_c} and {@code μ_cᵀPμ_c} computed once at load. Everything in
 * double from the stored float32 values, as the Python reference does.
 */
final class MahalanobisScorer {

    private final Fold[] folds;
    private final double threshold;
    private final int size;

    private record Fold(float[] precision, double[][] precisionTimesMean, double[] meanNorm) {
    }

    private MahalanobisScorer(Fold[] folds, double threshold, int size) {
        this.folds = folds;
        this.threshold = threshold;
        this.size = size;
    }

    /** The package's statistics (already checksummed by {@link ModelPackageReader}). */
    static MahalanobisScorer load(Path packageDir, ModelManifest manifest) {
        ModelManifest.OutOfDistribution ood = manifest.outOfDistribution();
        int size = manifest.features().size();
        int classes = manifest.classes().size();
        List<ModelManifest.FoldFile> files = ood.statistics();
        Fold[] folds = new Fold[files.size()];
        for (int f = 0; f < folds.length; f++) {
            Path file = packageDir.resolve(files.get(f).file());
            float[] values = readFloats(file, classes * size + size * size);
            double[][] means = new double[classes][size];
            for (int c = 0; c < classes; c++) {
                for (int i = 0; i < size; i++) {
                    means[c][i] = values[c * size + i];
                }
            }
            float[] precision = new float[size * size];
            System.arraycopy(values, classes * size, precision, 0, size * size);
            double[][] pm = new double[classes][];
            double[] norm = new double[classes];
            for (int c = 0; c < classes; c++) {
                pm[c] = times(precision, means[c], size);
                norm[c] = dot(means[c], pm[c]);
            }
            folds[f] = new Fold(precision, pm, norm);
        }
        return new MahalanobisScorer(folds, ood.threshold(), size);
    }

    private static float[] readFloats(Path file, int count) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != count * Float.BYTES) {
                throw new ModelPackageException(file + " holds " + bytes.length + " bytes; the out-of-distribution "
                        + "statistics need " + count * Float.BYTES);
            }
            float[] values = new float[count];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            return values;
        } catch (IOException e) {
            throw new ModelPackageException("Cannot read " + file, e);
        }
    }

    int foldCount() {
        return folds.length;
    }

    int size() {
        return size;
    }

    /** Per fold, the smallest distance to a class mean. */
    double[] foldDistances(float[][] foldFeatures) {
        double[] distances = new double[folds.length];
        for (int f = 0; f < folds.length; f++) {
            Fold fold = folds[f];
            double[] x = new double[size];
            for (int i = 0; i < size; i++) {
                x[i] = foldFeatures[f][i];
            }
            double xPx = dot(x, times(fold.precision(), x, size));
            double best = Double.POSITIVE_INFINITY;
            for (int c = 0; c < fold.meanNorm().length; c++) {
                best = Math.min(best, xPx - 2 * dot(x, fold.precisionTimesMean()[c]) + fold.meanNorm()[c]);
            }
            distances[f] = Math.sqrt(Math.max(best, 0));
        }
        return distances;
    }

    /** The image's score, its threshold and whether it is flagged. */
    OutOfDistribution score(float[][] foldFeatures) {
        double sum = 0;
        for (double d : foldDistances(foldFeatures)) {
            sum += d;
        }
        return OutOfDistribution.of(sum / folds.length, threshold);
    }

    /** The predictions with their out-of-distribution scores, when there is a scorer and the forward gave features. */
    static List<EnsemblePrediction> attach(MahalanobisScorer scorer, FoldOutputs outputs,
                                           List<EnsemblePrediction> predictions) {
        if (scorer == null || outputs.features() == null) {
            return predictions;
        }
        List<EnsemblePrediction> scored = new ArrayList<>(predictions.size());
        for (int i = 0; i < predictions.size(); i++) {
            scored.add(predictions.get(i).withOutOfDistribution(scorer.score(outputs.featuresOf(i))));
        }
        return scored;
    }

    private static double[] times(float[] matrix, double[] v, int n) {
        double[] out = new double[n];
        for (int r = 0; r < n; r++) {
            double s = 0;
            int row = r * n;
            for (int c = 0; c < n; c++) {
                s += matrix[row + c] * v[c];
            }
            out[r] = s;
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
