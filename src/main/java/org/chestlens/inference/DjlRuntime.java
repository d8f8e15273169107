package org.chestlens.inference;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.Utils;
import ai.djl.util.cuda.CudaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process-wide DJL settings. They must be in place before the first call into {@link Engine}:
 * DJL reads them once, and its start-up telemetry probe (an HTTP call to a cloud metadata
 * address) runs during engine initialisation unless tracking is opted out. Hospitals run this
 * service air-gapped, so the engine must never reach for the network or download natives; the
 * natives come from the {@code pytorch-native-*} jars on the class path.
 *
 * <p>The GPU build ({@code -Pcuda}) bundles the CPU natives after the CUDA ones: DJL takes the
 * first bundled flavour that fits the machine, so without a usable CUDA driver it loads the CPU
 * libtorch instead of trying to download one (which fails offline).
 *
 * <p>On the CPU a package's ONNX folds run through ONNX Runtime ({@link #ONNX_ENGINE}), whose natives come
 * from the {@code onnxruntime} jar: they are unpacked into the same cache, not into {@code java.io.tmpdir},
 * which containers often mount {@code noexec}.
 */
final class DjlRuntime {

    static final String ENGINE = "PyTorch";
    static final String ONNX_ENGINE = "OnnxRuntime";

    /** What the CUDA natives of the {@code -Pcuda} build need; README's GPU section says the same. */
    static final String CUDA_REQUIREMENT = "libtorch 2.5.1 for CUDA 12.4 needs an NVIDIA driver 525.60.13 or newer "
            + "(550.54.14 or newer recommended)";

    private static final Logger log = LoggerFactory.getLogger(DjlRuntime.class);

    private DjlRuntime() {
    }

    static synchronized void configureOffline(Path cacheDir) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        // Without it DJL hands every NDArray operation ONNX Runtime lacks to libtorch, copying the tensor across;
        // FoldTranslator needs none, and an operation slipping through should fail a test, not run slowly.
        System.setProperty("ai.djl.onnx.disable_alternative", "true");
        if (cacheDir != null) {
            System.setProperty("DJL_CACHE_DIR", cacheDir.toAbsolutePath().toString());
        }
        OnnxRuntimeNatives.unpack(Utils.getCacheDir());
    }

    /**
     * The engine that runs a package's folds: ONNX Runtime on the CPU when the deployment prefers it and the package
     * has ONNX folds, libtorch otherwise (and always on a GPU, for which the ONNX Runtime jar has no natives).
     */
    static String engineFor(ModelManifest manifest, Device device, InferenceProperties.CpuEngine cpuEngine) {
        return !device.isGpu() && cpuEngine == InferenceProperties.CpuEngine.ONNXRUNTIME && manifest.onnx() != null
                ? ONNX_ENGINE : ENGINE;
    }

    /** The engine's native library version (ONNX Runtime 1.21.1, libtorch 2.5.1): engines load once per process. */
    static String engineVersion(String engine) {
        return Engine.getEngine(engine).getVersion();
    }

    /**
     * ONNX Runtime's intra-op threads per fold: the cores this process may use (the container's CPU limit, which
     * the JVM reads; ONNX Runtime's own default counts the host's physical cores). Folds run one after the other.
     */
    static int cpuThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    static Device chooseDevice(InferenceProperties.DeviceChoice choice) {
        if (choice == InferenceProperties.DeviceChoice.CPU) {
            return Device.cpu();
        }
        List<String> flavours = bundledNativeFlavours();
        boolean cudaBundled = flavours.stream().anyMatch(f -> f.startsWith("cu"));
        // Without a CUDA runtime no GPU can be used, and asking libtorch would load it (hundreds of MB) only to
        // hear so: on the CPU the folds may well run on ONNX Runtime.
        int gpus = CudaUtils.hasCuda() ? Engine.getEngine(ENGINE).getGpuCount() : 0;
        return switch (choice) {
            case CPU -> Device.cpu();
            case GPU -> {
                if (gpus == 0) {
                    throw new ModelPackageException(noGpuMessage(cudaBundled, flavours));
                }
                yield Device.gpu();
            }
            case AUTO -> {
                if (gpus > 0) {
                    yield Device.gpu();
                }
                if (cudaBundled) {
                    log.warn("chestlens.inference.device=auto: this is the GPU build, but {}; inference runs on "
                            + "the CPU, far slower than on a GPU", gpuDiagnosis());
                }
                yield Device.cpu();
            }
        };
    }

    private static String noGpuMessage(boolean cudaBundled, List<String> flavours) {
        if (!cudaBundled) {
            return "chestlens.inference.device=gpu but this build bundles only the " + String.join(", ", flavours)
                    + " natives of libtorch: build the service with ./mvnw -Pcuda package";
        }
        return "chestlens.inference.device=gpu but " + gpuDiagnosis() + ". " + CUDA_REQUIREMENT
                + "; check nvidia-smi on the host (and the NVIDIA container runtime in a container), or set "
                + "chestlens.inference.device=auto to run on the CPU";
    }

    /** Why DJL sees no GPU, in the terms a server administrator checks: driver, CUDA runtime, devices. */
    private static String gpuDiagnosis() {
        if (!CudaUtils.hasCuda()) {
            return "no CUDA runtime answers (no NVIDIA driver visible, or one too old for CUDA 12.4)";
        }
        return "the CUDA runtime " + CudaUtils.getCudaVersionString() + " reports " + CudaUtils.getGpuCount()
                + " GPUs, and libtorch cannot use them";
    }

    /** The libtorch flavours on the class path (cpu, cu124, ...), in the order DJL considers them. */
    static List<String> bundledNativeFlavours() {
        List<String> flavours = new ArrayList<>();
        try {
            for (URL url : Collections.list(DjlRuntime.class.getClassLoader()
                    .getResources("native/lib/pytorch.properties"))) {
                try (InputStream in = url.openStream()) {
                    Properties properties = new Properties();
                    properties.load(in);
                    String flavour = properties.getProperty("flavor",
                            properties.getProperty("classifier", "unknown").split("-")[0]);
                    flavours.add(flavour);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return flavours;
    }
}
