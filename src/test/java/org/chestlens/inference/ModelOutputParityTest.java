package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;

import ai.djl.Device;
import org.chestlens.ReferenceTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The folds as the service runs them on the CPU (the package's ONNX copies on ONNX Runtime; {@link EngineParityTest}
 * holds those against the TorchScript on libtorch) against the outputs the TorchScript folds gave in
 * Python (torch 1.13) when they were exported: fold logits and ensemble probabilities.
 */
class ModelOutputParityTest {

    static final Path PACKAGE = Path.of("models/chestlens-demo-densenet121");
    static ServedModel model;
    static List<ReferenceTensors.Case> cases;

    @BeforeAll
    static void load() {
        DjlRuntime.configureOffline(null);
        ModelManifest manifest = ModelPackageReader.read(PACKAGE);
        model = ServedModel.load(PACKAGE, manifest, Device.cpu(), 8);
        cases = ReferenceTensors.load(PACKAGE.resolve("reference"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void foldLogitsAndEnsembleProbabilitiesMatchPython() {
        List<ModelInput> inputs = cases.stream()
                .map(c -> new ModelInput(c.input(), c.height(), c.width())).toList();
        FoldOutputs forward = model.forward(inputs);
        float[][][] outputs = forward.logits();
        List<EnsemblePrediction> predictions = model.ensemble(forward, inputs.size(), new double[inputs.size()], 0);
        double worstLogit = 0;
        double worstProbability = 0;
        for (int i = 0; i < cases.size(); i++) {
            ReferenceTensors.Case reference = cases.get(i);
            for (int f = 0; f < outputs.length; f++) {
                for (int k = 0; k < reference.foldLogits()[f].length; k++) {
                    worstLogit = Math.max(worstLogit, Math.abs(outputs[f][i][k] - reference.foldLogits()[f][k]));
                }
            }
            for (int k = 0; k < 4; k++) {
                double diff = Math.abs(predictions.get(i).probabilities()[k] - reference.ensembleProbabilities()[k]);
                worstProbability = Math.max(worstProbability, diff);
            }
            assertThat(predictions.get(i).probabilities()).as(reference.png())
                    .containsExactly(reference.ensembleProbabilities(), within(1e-4));
        }
        System.out.printf("DJL vs Python: max logit difference %.3g, max probability difference %.3g%n",
                worstLogit, worstProbability);
        assertThat(worstLogit).isLessThan(1e-4);
    }

    @Test
    void batchingDoesNotChangeTheAnswer() {
        ReferenceTensors.Case reference = cases.get(0);
        ModelInput one = new ModelInput(reference.input(), reference.height(), reference.width());
        float[][][] alone = model.forward(List.of(one)).logits();
        List<ModelInput> batch = cases.stream().map(c -> new ModelInput(c.input(), c.height(), c.width())).toList();
        float[][][] together = model.forward(batch).logits();
        for (int f = 0; f < alone.length; f++) {
            assertThat(together[f][0]).containsExactly(alone[f][0], within(1e-5f));
        }
    }
}
