package org.chestlens.inference;

import java.io.IOException;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import ai.djl.Device;

/**
 * Runs in a fresh JVM (see {@link OfflineInferenceTest}): records every network destination that
 * Java code asks a route for, from before DJL is first touched until a real forward pass is done on each engine.
 * Both HttpURLConnection (DJL's telemetry and downloads) and plain sockets consult the default
 * ProxySelector before connecting, so an empty record means no connection was attempted.
 */
public final class OfflineProbe {

    public static void main(String[] args) {
        List<URI> attempts = new CopyOnWriteArrayList<>();
        ProxySelector.setDefault(new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                attempts.add(uri);
                return List.of(Proxy.NO_PROXY);
            }

            @Override
            public void connectFailed(URI uri, SocketAddress address, IOException e) {
            }
        });
        Path packageDir = Path.of(args[0]);
        DjlRuntime.configureOffline(Path.of(args[1]));
        ModelManifest manifest = ModelPackageReader.read(packageDir);
        // Both engines, as a CPU (ONNX Runtime) and a GPU (libtorch) deployment use them, in one process.
        for (InferenceProperties.CpuEngine engine : InferenceProperties.CpuEngine.values()) {
            try (ServedModel model = ServedModel.load(packageDir, manifest, Device.cpu(), engine, 1)) {
                int crop = manifest.preprocessing().centerCrop();
                float[][][] out = model.forward(List.of(new ModelInput(new float[crop * crop], crop, crop))).logits();
                System.out.println("FORWARD OK " + model.engine() + " folds=" + out.length + " outputs="
                        + out[0][0].length);
            }
        }
        System.out.println("NETWORK ATTEMPTS " + attempts.size() + " " + attempts);
    }
}
