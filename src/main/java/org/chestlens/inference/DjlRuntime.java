package org.chestlens.inference;

import java.nio.file.Path;

import ai.djl.Device;
import ai.djl.engine.Engine;

/**
 * Process-wide DJL settings. They must be in place before the first call into {@link Engine}:
 * DJL reads them once, and its start-up telemetry probe (an HTTP call to a cloud metadata
 * address) runs during engine initialisation unless tracking is opted out. Hospitals run this
 * service air-gapped, so the engine must never reach for the network or download natives; the
 * natives come from the {@code pytorch-native-*} jar on the class path.
 */
final class DjlRuntime {

    static final String ENGINE = "PyTorch";

    private DjlRuntime() {
    }

    static synchronized void configureOffline(Path cacheDir) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        if (cacheDir != null) {
            System.setProperty("DJL_CACHE_DIR", cacheDir.toAbsolutePath().toString());
        }
    }

    static Device chooseDevice(InferenceProperties.DeviceChoice choice) {
        int gpus = Engine.getEngine(ENGINE).getGpuCount();
        return switch (choice) {
            case CPU -> Device.cpu();
            case GPU -> {
                if (gpus == 0) {
                    throw new ModelPackageException("chestlens.inference.device=gpu but DJL sees no GPU "
                            + "(is the service built with -Pcuda and the NVIDIA driver visible?)");
                }
                yield Device.gpu();
            }
            case AUTO -> gpus > 0 ? Device.gpu() : Device.cpu();
        };
    }
}
