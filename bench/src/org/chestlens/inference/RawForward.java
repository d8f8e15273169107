package org.chestlens.inference;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.Device;

/** The model alone: the same ensemble, forward passes back to back, no HTTP, no database. */
public final class RawForward implements AutoCloseable {

    /** Forward passes run before the timed ones of {@link #imagesPerSecond}. */
    public static final int UNTIMED_BATCHES = 3;

    private final ServedModel model;
    private final int crop;

    public RawForward(Path packageDir, int maxBatchSize) {
        DjlRuntime.configureOffline(null);
        ModelManifest manifest = ModelPackageReader.read(packageDir);
        this.model = ServedModel.load(packageDir, manifest, DjlRuntime.chooseDevice(InferenceProperties.DeviceChoice.AUTO),
                maxBatchSize);
        this.crop = manifest.preprocessing().centerCrop();
    }

    /** Images per second over {@code batches} forward passes of {@code batchSize} distinct inputs. */
    public double imagesPerSecond(int batchSize, int batches) {
        List<ModelInput> batch = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            batch.add(input(i));
        }
        // TorchScript's profiling executor records a new batch size on its first call and optimises
        // on a later one: untimed calls until both are behind it.
        for (int w = 0; w < UNTIMED_BATCHES; w++) {
            model.forward(batch);
        }
        long start = System.nanoTime();
        for (int b = 0; b < batches; b++) {
            model.ensemble(model.forward(batch), batchSize, new double[batchSize], 0);
        }
        return batchSize * batches / ((System.nanoTime() - start) / 1e9);
    }

    /** Milliseconds of one forward pass of a single image (median of {@code runs}). */
    public double singleImageMillis(int runs) {
        List<ModelInput> one = List.of(input(0));
        model.forward(one);
        double[] times = new double[runs];
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            model.forward(one);
            times[r] = (System.nanoTime() - start) / 1e6;
        }
        java.util.Arrays.sort(times);
        return times[runs / 2];
    }

    /** A non-constant input: timings of libtorch depend on the values (denormals), so no zeros. */
    private ModelInput input(int seed) {
        float[] pixels = new float[crop * crop];
        for (int p = 0; p < pixels.length; p++) {
            pixels[p] = ((p * 31 + seed * 17) % 255) / 255f;
        }
        return new ModelInput(pixels, crop, crop);
    }

    @Override
    public void close() {
        model.close();
    }
}
