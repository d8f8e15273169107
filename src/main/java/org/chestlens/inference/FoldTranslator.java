package org.chestlens.inference;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Feeds a batch of grey images to a TorchScript fold as float32 [N, 3, H, W] and returns its raw
 * outputs [N, K]. One direct buffer is reused for every batch: a fresh array per call would grow
 * the JVM's direct-buffer pool until a GC frees it. Not thread-safe; the device worker owns it.
 */
final class FoldTranslator implements NoBatchifyTranslator<List<ModelInput>, float[][]> {

    private final int height;
    private final int width;
    private final ByteBuffer buffer;

    FoldTranslator(int maxBatchSize, int height, int width) {
        this.height = height;
        this.width = width;
        this.buffer = ByteBuffer.allocateDirect(maxBatchSize * 3 * height * width * Float.BYTES)
                .order(ByteOrder.nativeOrder());
    }

    @Override
    public NDList processInput(TranslatorContext ctx, List<ModelInput> batch) {
        int imageFloats = 3 * height * width;
        int bytes = batch.size() * imageFloats * Float.BYTES;
        if (bytes > buffer.capacity()) {
            throw new IllegalArgumentException("Batch of " + batch.size() + " exceeds the configured maximum");
        }
        FloatBuffer floats = buffer.clear().asFloatBuffer();
        for (ModelInput image : batch) {
            if (image.height() != height || image.width() != width) {
                throw new IllegalArgumentException("Model expects " + height + "x" + width + " input, got "
                        + image.height() + "x" + image.width());
            }
            // InnerEye feeds the grey image as three identical channels.
            for (int channel = 0; channel < 3; channel++) {
                floats.put(image.pixels());
            }
        }
        ByteBuffer view = buffer.duplicate().position(0).limit(bytes).slice().order(ByteOrder.nativeOrder());
        NDArray input = ctx.getNDManager().create(view, new Shape(batch.size(), 3, height, width), DataType.FLOAT32);
        return new NDList(input);
    }

    @Override
    public float[][] processOutput(TranslatorContext ctx, NDList list) {
        NDArray output = list.singletonOrThrow();
        Shape shape = output.getShape();
        if (shape.dimension() != 2) {
            throw new ModelPackageException("Model output has shape " + shape + ", expected [batch, outputs]");
        }
        int rows = (int) shape.get(0);
        int columns = (int) shape.get(1);
        float[] flat = output.toType(DataType.FLOAT32, false).toFloatArray();
        float[][] result = new float[rows][columns];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * columns, result[r], 0, columns);
        }
        return result;
    }
}
