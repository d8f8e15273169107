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
 * Feeds a batch of grey images to a fold as float32 [N, 3, H, W] and returns its raw
 * outputs [N, K] and, from a format-2 fold, its class activation maps [N, K, h, w], from a format-3 fold also its
 * pooled features [N, D]. One direct buffer is reused for every batch: a fresh array per call would grow
 * the JVM's direct-buffer pool until a GC frees it. Not thread-safe; the device worker owns it.
 * <p>
 * The same code serves libtorch and ONNX Runtime, so it asks of an NDArray only what ONNX Runtime's own
 * arrays do natively (create from a buffer, shape, data type, read out): anything else DJL would hand to
 * libtorch, copying the tensor, and {@link DjlRuntime#configureOffline} turns that hand-over off.
 */
final class FoldTranslator implements NoBatchifyTranslator<List<ModelInput>, FoldTranslator.FoldOutput> {

    /**
     * One fold's answer for a batch.
     *
     * @param logits {@code [image][output]}
     * @param maps {@code [image][output * h * w]}, row-major per output; null from a format-1 fold
     * @param features {@code [image][feature]}; null unless a format-3 fold's features were asked for
     */
    record FoldOutput(float[][] logits, float[][] maps, float[][] features) {
    }

    private final int height;
    private final int width;
    private final boolean readMaps;
    private final boolean readFeatures;
    private final List<String> outputNames;
    private final ByteBuffer buffer;

    /**
     * @param readMaps whether to copy a format-2 fold's maps out of the forward (or leave them unread)
     * @param readFeatures whether to copy a format-3 fold's pooled features out of the forward
     * @param outputNames the names of the outputs in the format's order (logits, maps, features), for a runtime
     *                    that names them (ONNX Runtime); null to take them in the order they come (TorchScript)
     */
    FoldTranslator(int maxBatchSize, int height, int width, boolean readMaps, boolean readFeatures,
                   List<String> outputNames) {
        this.height = height;
        this.width = width;
        this.readMaps = readMaps;
        this.readFeatures = readFeatures;
        this.outputNames = outputNames;
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
    public FoldOutput processOutput(TranslatorContext ctx, NDList outputs) {
        NDList list = outputNames == null ? outputs : byName(outputs);
        if (list.size() < 1 || list.size() > 3) {
            throw new ModelPackageException("Model returns " + list.size() + " outputs, expected logits "
                    + "(format 1), logits and class activation maps (format 2), or those and the pooled features "
                    + "(format 3)");
        }
        float[][] logits = rows(list.get(0), 2, "[batch, outputs]");
        float[][] maps = list.size() >= 2 && readMaps ? rows(list.get(1), 4, "[batch, outputs, height, width]") : null;
        float[][] features = list.size() == 3 && readFeatures ? rows(list.get(2), 2, "[batch, features]") : null;
        return new FoldOutput(logits, maps, features);
    }

    /** The outputs in the format's order, found by name: a runtime need not return them in the graph's order. */
    private NDList byName(NDList outputs) {
        NDList ordered = new NDList(outputNames.size());
        for (String name : outputNames) {
            NDArray output = outputs.get(name);
            if (output == null) {
                throw new ModelPackageException("Model has no output named " + name + "; its outputs are "
                        + outputs.stream().map(NDArray::getName).toList());
            }
            ordered.add(output);
        }
        return ordered;
    }

    /** The array as one row per image, whatever its other dimensions. */
    private static float[][] rows(NDArray output, int dimensions, String expected) {
        Shape shape = output.getShape();
        if (shape.dimension() != dimensions) {
            throw new ModelPackageException("Model output has shape " + shape + ", expected " + expected);
        }
        int rows = (int) shape.get(0);
        int columns = (int) (shape.size() / Math.max(1, rows));
        float[] flat = output.toType(DataType.FLOAT32, false).toFloatArray();
        float[][] result = new float[rows][columns];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * columns, result[r], 0, columns);
        }
        return result;
    }
}
