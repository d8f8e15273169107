package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import ai.djl.Device;
import org.chestlens.ReferenceTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The class activation maps of the format-2 demo package under DJL against the maps Python computed
 * from the same TorchScript folds at export (reference/*.cam.f32, averaged over folds), and the
 * identity that makes them exact: a fold's map for output k, averaged over its 7 x 7 cells, plus that
 * fold's bias k, is that fold's logit k. A map taken from another layer (say after a ReLU) or from
 * another fold breaks the identity; a wrong fold average breaks the parity. Also: the re-export left
 * the logits of version 1.0.0 (format 1, kept as the test package demo-format1) unchanged.
 */
class ActivationMapParityTest {

    static final Path PACKAGE = Path.of("models/chestlens-demo-densenet121");
    static final Path FORMAT1 = Path.of("src/test/packages/demo-format1");
    static ServedModel model;
    static List<ReferenceTensors.Case> cases;
    static List<ModelInput> inputs;
    static FoldOutputs outputs;

    @BeforeAll
    static void load() {
        ReferenceForward forward = ReferenceForward.of(PACKAGE);
        model = forward.model();
        cases = forward.cases();
        inputs = forward.inputs();
        outputs = forward.outputs();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void serviceMapsEqualPythonsWithin1e4() {
        List<EnsemblePrediction> predictions = model.ensemble(outputs, inputs.size(), new double[inputs.size()], 0);
        double worst = 0;
        for (int i = 0; i < cases.size(); i++) {
            ReferenceTensors.Case reference = cases.get(i);
            assertThat(reference.cam()).as("reference maps of " + reference.png()).isNotNull();
            assertThat(reference.camShape()).containsExactly(4, 7, 7);
            var maps = predictions.get(i).maps();
            assertThat(maps.outputs()).containsExactly("CVX0", "CVX1", "CVX2", "CVX3");
            assertThat(maps.height()).isEqualTo(7);
            assertThat(maps.width()).isEqualTo(7);
            assertThat(maps.values()).hasSameSizeAs(reference.cam());
            for (int v = 0; v < maps.values().length; v++) {
                worst = Math.max(worst, Math.abs(maps.values()[v] - reference.cam()[v]));
            }
        }
        System.out.printf("class activation maps, DJL vs Python: max difference %.3g over %d images%n", worst,
                cases.size());
        assertThat(worst).isLessThan(1e-4);
    }

    @Test
    void eachFoldsMapMeanPlusItsBiasIsItsLogit() {
        double worst = 0;
        for (int i = 0; i < cases.size(); i++) {
            float[][] bias = cases.get(i).foldBias();
            assertThat(bias).hasNumberOfRows(outputs.logits().length);
            for (int f = 0; f < outputs.logits().length; f++) {
                for (int k = 0; k < 4; k++) {
                    double mean = mean(outputs.maps()[f][i], k * 49, 49);
                    worst = Math.max(worst, Math.abs(mean + bias[f][k] - outputs.logits()[f][i][k]));
                }
            }
        }
        System.out.printf("map mean + bias vs logit, per fold: max difference %.3g%n", worst);
        assertThat(worst).isLessThan(1e-4);
        // The check can tell folds apart: fold 1's maps with fold 0's bias miss fold 0's logits by far more.
        double swapped = 0;
        for (int k = 0; k < 4; k++) {
            swapped = Math.max(swapped, Math.abs(mean(outputs.maps()[1][0], k * 49, 49)
                    + cases.get(0).foldBias()[0][k] - outputs.logits()[0][0][k]));
        }
        assertThat(swapped).isGreaterThan(1e-2);
    }

    @Test
    void theFoldAverageOfTheMapsExplainsTheAverageLogit() {
        List<EnsemblePrediction> predictions = model.ensemble(outputs, inputs.size(), new double[inputs.size()], 0);
        int folds = outputs.logits().length;
        for (int i = 0; i < cases.size(); i++) {
            for (int k = 0; k < 4; k++) {
                double logit = 0;
                double bias = 0;
                for (int f = 0; f < folds; f++) {
                    logit += outputs.logits()[f][i][k] / folds;
                    bias += cases.get(i).foldBias()[f][k] / folds;
                }
                assertThat(mean(predictions.get(i).maps().values(), k * 49, 49) + bias)
                        .as(cases.get(i).png() + " output " + k).isCloseTo(logit, org.assertj.core.data.Offset.offset(1e-4));
            }
        }
    }

    @Test
    void reExportLeftTheLogitsUnchangedAndFormat1StillScoresWithoutMaps() {
        ModelManifest manifest = ModelPackageReader.read(FORMAT1);
        assertThat(manifest.explains()).isFalse();
        try (ServedModel format1 = ServedModel.load(FORMAT1, manifest, Device.cpu(), 8)) {
            FoldOutputs old = format1.forward(inputs);
            assertThat(old.maps()).isNull();
            assertThat(format1.ensemble(old, inputs.size(), new double[inputs.size()], 0))
                    .allSatisfy(p -> assertThat(p.maps()).isNull());
            double worst = 0;
            for (int i = 0; i < inputs.size(); i++) {
                for (int k = 0; k < 4; k++) {
                    worst = Math.max(worst, Math.abs(old.logits()[0][i][k] - outputs.logits()[0][i][k]));
                }
            }
            System.out.printf("fold 0, version 1.0.0 (format 1, %s) vs this package's (%s): max logit "
                    + "difference %.3g%n", format1.engine(), model.engine(), worst);
            assertThat(worst).isLessThanOrEqualTo(1e-5);
        }
        // Every fold against the logits 1.0.0 gave in Python when it was exported (reference inputs unchanged).
        List<ReferenceTensors.Case> v1 = ReferenceTensors.load(PACKAGE.resolve("reference"),
                FORMAT1.resolve("reference-manifest-1.0.0.json"));
        for (int i = 0; i < cases.size(); i++) {
            assertThat(v1.get(i).png()).isEqualTo(cases.get(i).png());
            for (int f = 0; f < 3; f++) {
                assertThat(cases.get(i).foldLogits()[f]).as("Python logits of 1.1.0 vs 1.0.0")
                        .containsExactly(v1.get(i).foldLogits()[f], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    private static double mean(float[] values, int from, int count) {
        double sum = 0;
        for (int v = from; v < from + count; v++) {
            sum += values[v];
        }
        return sum / count;
    }
}
