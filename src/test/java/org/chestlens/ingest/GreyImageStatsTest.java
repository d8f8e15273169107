package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** The one-pass statistics of packed 8-bit rows agree with those of the same values as an {@code int[]}. */
class GreyImageStatsTest {

    @Test
    void packedEightBitRowsCountLikeTheValuesThemselves() {
        Random random = new Random(7);
        for (int width : new int[] {1, 3, 4, 5, 257, 1023}) {
            int height = 37;
            int stride = width + 1; // a PNG row: the filter byte, then the samples
            byte[] rows = new byte[stride * height + 3];
            int[] values = new int[width * height];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    // runs of one value, as a radiograph has, with the extremes present somewhere
                    int v = random.nextInt(10) < 7 && x > 0 ? values[y * width + x - 1] : random.nextInt(256);
                    values[y * width + x] = v;
                    rows[3 + y * stride + 1 + x] = (byte) v;
                }
            }
            GreyImage.Packed packed = new GreyImage.Packed(rows, 4, stride, 1, true, 0, 8, false);
            GreyImage.Stats expected = GreyImage.statsOf(values);
            assertThat(new GreyImage(packed, width, height, 8, "GREY").stats()).as("width %d", width)
                    .isEqualTo(expected);
        }
    }
}
