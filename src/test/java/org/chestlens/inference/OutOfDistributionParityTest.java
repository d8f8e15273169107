package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import ai.djl.Device;
import org.chestlens.ReferenceTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The out-of-distribution score of the format-3 demo package under DJL against the scores Python computed from the
 * same folds and the same shipped statistics (models/training/ood_stats.py, reference/manifest.json), per fold and
 * averaged; and what the package reader refuses about the statistics.
 */
class OutOfDistributionParityTest {

    static final Path PACKAGE = Path.of("models/chestlens-demo-densenet121");
    static ReferenceForward demo;

    @BeforeAll
    static void load() {
        demo = ReferenceForward.of(PACKAGE);
    }

    @AfterAll
    static void close() {
        demo.close();
    }

    @Test
    void serviceScoresEqualPythonsPerFoldAndAveraged() {
        ServedModel model = demo.model();
        FoldOutputs outputs = demo.outputs();
        List<ReferenceTensors.Case> cases = demo.cases();
        int n = demo.inputs().size();
        assertThat(outputs.features()).as("format 3: every fold returns its pooled features").hasNumberOfRows(3);
        assertThat(outputs.features()[0][0]).hasSize(1024);
        List<EnsemblePrediction> predictions = model.ensemble(outputs, n, new double[n], 0);
        double worst = 0;
        for (int i = 0; i < cases.size(); i++) {
            ReferenceTensors.Case reference = cases.get(i);
            assertThat(reference.foldOodScores()).as(reference.png()).hasSize(3);
            double[] folds = model.outOfDistribution().foldDistances(outputs.featuresOf(i));
            for (int f = 0; f < folds.length; f++) {
                worst = Math.max(worst, Math.abs(folds[f] - reference.foldOodScores()[f]) / reference.foldOodScores()[f]);
            }
            var ood = predictions.get(i).outOfDistribution();
            assertThat(ood).as(reference.png()).isNotNull();
            assertThat(ood.score()).isCloseTo(reference.oodScore(), org.assertj.core.data.Offset.offset(1e-4 * reference.oodScore()));
            assertThat(ood.flagged()).isEqualTo(ood.score() > ood.threshold());
        }
        System.out.printf("out-of-distribution score, DJL vs Python: max relative difference %.3g over %d images%n",
                worst, cases.size());
        assertThat(worst).isLessThan(1e-4);
    }

    @Test
    void theFeaturesAreTheClassifiersInputSoTheLogitsStayTheFormat2Ones() {
        FoldOutputs outputs = demo.outputs();
        List<ReferenceTensors.Case> cases = demo.cases();
        // The logits of this forward (which also returned the features) equal Python's format-2 logits.
        double worst = 0;
        for (int i = 0; i < cases.size(); i++) {
            for (int f = 0; f < 3; f++) {
                for (int k = 0; k < 4; k++) {
                    worst = Math.max(worst, Math.abs(outputs.logits()[f][i][k] - cases.get(i).foldLogits()[f][k]));
                }
            }
        }
        assertThat(worst).isLessThan(1e-4);
    }

    @Test
    void packageReaderRefusesStatisticsThatDoNotMatch(@TempDir Path dir) throws IOException {
        String manifest = PackageLinks.link(PACKAGE, dir);
        PackageLinks.assertRefused(dir, PackageLinks.zeroChecksum(manifest, PACKAGE, "fold-1.ood.f32"),
                "Checksum mismatch", "fold-1.ood.f32");
        PackageLinks.assertRefused(dir, manifest.replace("\"formatVersion\": 3", "\"formatVersion\": 2"),
                "outOfDistribution needs formatVersion 3");
        // Without the check, the same package serves no score at all.
        try (ServedModel unscored = ServedModel.load(PACKAGE, ModelPackageReader.read(PACKAGE), Device.cpu(),
                InferenceProperties.CpuEngine.ONNXRUNTIME, 8, true, false)) {
            FoldOutputs plain = unscored.forward(demo.inputs().subList(0, 1));
            assertThat(plain.features()).isNull();
            assertThat(unscored.ensemble(plain, 1, new double[1], 0).get(0).outOfDistribution()).isNull();
        }
    }
}
