package org.chestlens.ingest;

import org.chestlens.inference.ModelInput;

/**
 * InnerEye's pre-processing, reproduced operation by operation so a model trained with InnerEye
 * sees the same tensor here as in its own evaluation (docs/innereye.md §3):
 * <ol>
 * <li>min-max the stored values to 0..255 in float64, as numpy does;</li>
 * <li>{@code Image.fromarray(...).convert("L")}: Pillow stores the values as float32 and
 *     <em>truncates</em> them to 8 bits (Pillow 9.4's {@code f2l}; a description in words says "round", the
 *     code InnerEye runs truncates, and the code is what the model was trained on);</li>
 * <li>{@code ToTensor}: divide by 255 in float32;</li>
 * <li>torchvision {@code Resize(256)} on a tensor: shorter side 256, longer side
 *     {@code int(256 * long / short)}, PyTorch's bilinear {@code interpolate} with half-pixel
 *     centres and no antialiasing, float32 arithmetic;</li>
 * <li>{@code CenterCrop(224)} with Python's {@code round} (half to even) for the offsets.</li>
 * </ol>
 * Only the cropped window of the resized image is computed, from the stored values it reads.
 */
final class InnerEyePreprocessor {

    private final int resize;
    private final int crop;

    InnerEyePreprocessor(int resize, int crop) {
        this.resize = resize;
        this.crop = crop;
    }

    /** Returns null when the image has a single value everywhere and cannot be normalised. */
    ModelInput apply(GreyImage image) {
        GreyImage.Stats stats = image.stats();
        if (stats.min() == stats.max()) {
            return null;
        }
        return resizeAndCrop(image, new UnitScale(stats.min(), (double) stats.max() - stats.min()));
    }

    /**
     * Steps 1 to 3 as a function of one stored value: the image as float32 multiples of 1/255.
     * The bilinear resize without antialiasing reads at most two rows and two columns per output
     * pixel, so only those values are ever converted (about 200 000 of a radiograph's millions),
     * through a table for the usual 8- to 16-bit ranges.
     */
    static final class UnitScale {

        private static final int LARGEST_TABLE = 1 << 16;

        private final int min;
        private final double range;
        private final float[] table;

        UnitScale(int min, double range) {
            this.min = min;
            this.range = range;
            if (range < LARGEST_TABLE) {
                table = new float[(int) range + 1];
                for (int i = 0; i < table.length; i++) {
                    table[i] = compute(min + i);
                }
            } else {
                table = null;
            }
        }

        float unit(int sample) {
            return table != null ? table[sample - min] : compute(sample);
        }

        private float compute(int sample) {
            double scaled = ((double) sample - min) * 255.0 / range;
            return truncateToByte((float) scaled) / 255f;
        }
    }

    /** Pillow's float-to-L conversion: clip to 0..255, then truncate toward zero. */
    static int truncateToByte(float v) {
        if (v <= 0f) {
            return 0;
        }
        if (v >= 255f) {
            return 255;
        }
        return (int) v;
    }

    /** Steps 4 and 5 on the single channel. */
    ModelInput resizeAndCrop(GreyImage image, UnitScale scale) {
        int inHeight = image.height();
        int inWidth = image.width();
        int outHeight;
        int outWidth;
        if (inWidth <= inHeight) {
            outWidth = resize;
            outHeight = (int) ((double) ((long) resize * inHeight) / inWidth);
        } else {
            outHeight = resize;
            outWidth = (int) ((double) ((long) resize * inWidth) / inHeight);
        }
        int top = (int) Math.rint((outHeight - crop) / 2.0);
        int left = (int) Math.rint((outWidth - crop) / 2.0);

        Axis rows = Axis.linear(inHeight, outHeight, top, crop);
        Axis columns = Axis.linear(inWidth, outWidth, left, crop);
        float[] out = new float[crop * crop];
        for (int y = 0; y < crop; y++) {
            int row0 = rows.index0[y];
            int row1 = rows.index1[y];
            float wy0 = rows.weight0[y];
            float wy1 = rows.weight1[y];
            for (int x = 0; x < crop; x++) {
                int x0 = columns.index0[x];
                int x1 = columns.index1[x];
                float wx0 = columns.weight0[x];
                float wx1 = columns.weight1[x];
                // PyTorch's Interpolate<2>: along the width first, then the height, with the
                // multiply-adds fused as its AVX2 build does. Bit-identical to torch on x86-64.
                float t0 = Math.fma(scale.unit(image.sample(row0, x0)), wx0, scale.unit(image.sample(row0, x1)) * wx1);
                float t1 = Math.fma(scale.unit(image.sample(row1, x0)), wx0, scale.unit(image.sample(row1, x1)) * wx1);
                out[y * crop + x] = Math.fma(t0, wy0, t1 * wy1);
            }
        }
        return new ModelInput(out, crop, crop);
    }

    /** Source indices and weights along one axis, for the output positions inside the crop. */
    record Axis(int[] index0, int[] index1, float[] weight0, float[] weight1) {

        /**
         * PyTorch's compute_source_index_and_lambda with align_corners=False: a float32 scale,
         * the source position and lambda in double (the AVX2 build promotes them), weights
         * rounded to float32.
         */
        static Axis linear(int inSize, int outSize, int offset, int count) {
            int[] i0 = new int[count];
            int[] i1 = new int[count];
            float[] w0 = new float[count];
            float[] w1 = new float[count];
            float scale = (float) inSize / (float) outSize;
            for (int k = 0; k < count; k++) {
                int dst = offset + k;
                if (inSize == outSize) {
                    i0[k] = dst;
                    i1[k] = dst;
                    w0[k] = 1f;
                    w1[k] = 0f;
                    continue;
                }
                double src = Math.max(scale * (dst + 0.5) - 0.5, 0.0);
                int index = (int) src;
                double lambda = src - index;
                i0[k] = index;
                i1[k] = index + (index < inSize - 1 ? 1 : 0);
                w0[k] = (float) (1.0 - lambda);
                w1[k] = (float) lambda;
            }
            return new Axis(i0, i1, w0, w1);
        }
    }
}
