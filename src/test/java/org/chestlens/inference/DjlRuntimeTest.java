package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * The build the tests run is the CPU one on a machine without a GPU: {@code auto} must pick the CPU and
 * {@code gpu} must refuse with a message that says what to do. (The {@code -Pcuda} jar on the same machine is
 * checked by hand, 2.7 GB being too much for CI: docs/deployment.md.)
 */
class DjlRuntimeTest {

    @Test
    void theCpuBuildBundlesOnlyCpuNatives() {
        assertThat(DjlRuntime.bundledNativeFlavours()).containsExactly("cpu");
    }

    @Test
    void autoFallsBackToTheCpu() {
        assertThat(DjlRuntime.chooseDevice(InferenceProperties.DeviceChoice.AUTO)).isEqualTo(Device.cpu());
        assertThat(DjlRuntime.chooseDevice(InferenceProperties.DeviceChoice.CPU)).isEqualTo(Device.cpu());
    }

    @Test
    void gpuWithoutCudaNativesRefusesAndSaysHowToBuildThem() {
        assertThatThrownBy(() -> DjlRuntime.chooseDevice(InferenceProperties.DeviceChoice.GPU))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("bundles only the cpu natives")
                .hasMessageContaining("-Pcuda");
    }

    @Test
    void theStartupFailureNamesTheCauseFirst() {
        ModelPackageException cause = new ModelPackageException("chestlens.inference.device=gpu but ...");
        FailureAnalysis analysis = new ModelStartupFailureAnalyzer()
                .analyze(new IllegalStateException("Failed to start bean 'inferenceService'", cause));
        assertThat(analysis.getDescription()).isEqualTo(cause.getMessage());
        assertThat(analysis.getAction()).contains("chestlens.inference.device");
    }
}
