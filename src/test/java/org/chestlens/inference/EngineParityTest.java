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
 * The demo package's ONNX folds on ONNX Runtime (the CPU engine) against its TorchScript folds on libtorch (the GPU's
 * engine, and the CPU's where a package has no ONNX folds or {@code cpu-engine=pytorch}): every output of every
 * fold, logits, class activation maps and pooled features, on the package's reference inputs within 1e-4; the
 * ensemble and the out-of-distribution scores with them, no flag flipped. And which engine a deployment gets. (That
 * the ONNX folds' batch dimension is dynamic: {@link ModelOutputParityTest}, which runs the service's engine.)
 */
class EngineParityTest {

    static final Path PACKAGE = Path.of("models/chestlens-demo-densenet121");
    static ServedModel onnx;
    static ServedModel torch;
    static List<ModelInput> inputs;

    @BeforeAll
    static void load() {
        DjlRuntime.configureOffline(null);
        ModelManifest manifest = ModelPackageReader.read(PACKAGE);
        onnx = ServedModel.load(PACKAGE, manifest, Device.cpu(), InferenceProperties.CpuEngine.ONNXRUNTIME, 8);
        torch = ServedModel.load(PACKAGE, manifest, Device.cpu(), InferenceProperties.CpuEngine.PYTORCH, 8);
        inputs = ReferenceTensors.load(PACKAGE.resolve("reference")).stream()
                .map(c -> new ModelInput(c.input(), c.height(), c.width())).toList();
    }

    @AfterAll
    static void close() {
        onnx.close();
        torch.close();
    }

    @Test
    void theDeploymentChoosesTheEngine() {
        assertThat(onnx.engine()).isEqualTo(DjlRuntime.ONNX_ENGINE);
        assertThat(torch.engine()).isEqualTo(DjlRuntime.ENGINE);
        ModelManifest manifest = onnx.manifest();
        assertThat(DjlRuntime.engineFor(manifest, Device.gpu(), InferenceProperties.CpuEngine.ONNXRUNTIME))
                .as("a GPU runs the TorchScript folds").isEqualTo(DjlRuntime.ENGINE);
        ModelManifest withoutOnnx = ModelPackageReader.read(Path.of("src/test/packages/demo-format1"));
        assertThat(withoutOnnx.onnx()).isNull();
        assertThat(DjlRuntime.engineFor(withoutOnnx, Device.cpu(), InferenceProperties.CpuEngine.ONNXRUNTIME))
                .as("a package without ONNX folds runs on libtorch").isEqualTo(DjlRuntime.ENGINE);
        assertThat(DjlRuntime.engineVersion(DjlRuntime.ONNX_ENGINE)).isEqualTo("1.21.1");
        assertThat(DjlRuntime.engineVersion(DjlRuntime.ENGINE)).isEqualTo("2.5.1");
    }

    @Test
    void everyOutputOfEveryFoldAgreesWithin1e4() {
        FoldOutputs a = onnx.forward(inputs);
        FoldOutputs b = torch.forward(inputs);
        double logits = worst(a.logits(), b.logits());
        double maps = worst(a.maps(), b.maps());
        double features = worst(a.features(), b.features());
        System.out.printf("ONNX Runtime vs libtorch, %d reference images x %d folds: max difference logits %.3g, "
                + "class activation maps %.3g, pooled features %.3g%n", inputs.size(), a.logits().length, logits, maps,
                features);
        assertThat(a.maps()).isNotNull();
        assertThat(a.features()).isNotNull();
        assertThat(logits).isLessThan(1e-4);
        assertThat(maps).isLessThan(1e-4);
        assertThat(features).isLessThan(1e-4);
        // The ensemble and the out-of-distribution score follow: same class, same flag, score within 1e-4 relative.
        List<EnsemblePrediction> pa = onnx.ensemble(a, inputs.size(), new double[inputs.size()], 0);
        List<EnsemblePrediction> pb = torch.ensemble(b, inputs.size(), new double[inputs.size()], 0);
        for (int i = 0; i < inputs.size(); i++) {
            assertThat(pa.get(i).probabilities()).containsExactly(pb.get(i).probabilities(),
                    org.assertj.core.data.Offset.offset(1e-5));
            var oa = pa.get(i).outOfDistribution();
            var ob = pb.get(i).outOfDistribution();
            assertThat(oa.flagged()).isEqualTo(ob.flagged());
            assertThat(oa.score()).isCloseTo(ob.score(), org.assertj.core.data.Offset.offset(1e-4 * ob.score()));
        }
    }

    @Test
    void anOnnxFoldThatIsNotTheOneListedIsRefused(@TempDir Path dir) throws IOException {
        String manifest = PackageLinks.link(PACKAGE, dir);
        PackageLinks.assertRefused(dir, PackageLinks.zeroChecksum(manifest, PACKAGE, "fold-2.onnx"),
                "Checksum mismatch", "fold-2.onnx");
        PackageLinks.assertRefused(dir, manifest.replace("\"features\"\n", "\"pooled\"\n"),
                "onnx needs the input's name and outputs [logits, maps, features]");
    }

    private static double worst(float[][][] a, float[][][] b) {
        double worst = 0;
        for (int f = 0; f < a.length; f++) {
            for (int i = 0; i < a[f].length; i++) {
                assertThat(a[f][i]).hasSameSizeAs(b[f][i]);
                for (int k = 0; k < a[f][i].length; k++) {
                    worst = Math.max(worst, Math.abs(a[f][i][k] - b[f][i][k]));
                }
            }
        }
        return worst;
    }
}
