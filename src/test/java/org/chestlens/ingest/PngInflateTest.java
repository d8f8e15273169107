package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferUShort;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.CRC32;

import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;

/**
 * The PNG's image data inflated by libdeflate gives the rows java.util.zip gives, and where libdeflate will not take a
 * stream whole, the answer is java.util.zip's as before.
 */
class PngInflateTest {

    @Test
    void libdeflateIsInstalledWhereTheTestsRun() {
        // .ci/run installs libdeflate0; without it every other test here would compare java.util.zip with itself
        assertThat(Libdeflate.available()).as("libdeflate.so.0 (Debian package libdeflate0) loads").isTrue();
    }

    @Test
    void libdeflateInflatesTheSameRowsAsJavaUtilZip() {
        Random random = new Random(27);
        for (int i = 0; i < 40; i++) {
            int width = 1 + random.nextInt(700);
            int height = 1 + random.nextInt(700);
            // ImageIO writes the image data in IDAT chunks of 32 KB: many chunks for the larger ones
            byte[] png = random.nextBoolean() ? TestImages.syntheticPng(random.nextLong(), width, height)
                    : sixteenBit(random, width, height);
            PngDecoder.Header header = PngDecoder.checkStructure(png, "test");
            byte[] fast = new byte[rowBytes(header)];
            byte[] zip = new byte[fast.length];
            assertThat(Libdeflate.inflateExactly(PngDecoder.imageData(png), fast)).as("image %d", i).isTrue();
            PngDecoder.inflate(png, zip, "test");
            assertThat(fast).as("image %d, %d x %d at %d bits", i, width, height, header.bitDepth()).isEqualTo(zip);
        }
    }

    @Test
    void aStreamLongerThanTheImageIsLeftToJavaUtilZipWhichTakesTheRowsItNeeds() {
        // the header says one row fewer than the data holds: java.util.zip fills the rows and stops, as before
        byte[] png = withHeight(TestImages.syntheticPng(1, 64, 64), 63);
        PngDecoder.Header header = PngDecoder.checkStructure(png, "test");
        byte[] rows = new byte[rowBytes(header)];
        assertThat(Libdeflate.inflateExactly(PngDecoder.imageData(png), rows)).isFalse();

        GreyImage image = PngDecoder.decode(png, "test", Long.MAX_VALUE);
        GreyImage full = PngDecoder.decode(TestImages.syntheticPng(1, 64, 64), "test", Long.MAX_VALUE);
        assertThat(image.height()).isEqualTo(63);
        for (int y = 0; y < 63; y++) {
            for (int x = 0; x < 64; x++) {
                assertThat(image.sample(y, x)).isEqualTo(full.sample(y, x));
            }
        }
    }

    @Test
    void aStreamWithAWrongChecksumIsAnsweredAsJavaUtilZipAnswersIt() {
        byte[] png = withDamagedAdler(TestImages.syntheticPng(2, 64, 64));
        PngDecoder.Header header = PngDecoder.checkStructure(png, "test");
        byte[] rows = new byte[rowBytes(header)];
        assertThat(Libdeflate.inflateExactly(PngDecoder.imageData(png), rows)).isFalse();

        Throwable byZip = catchThrowable(() -> PngDecoder.inflate(png, new byte[rows.length], "test"));
        Throwable byDecode = catchThrowable(() -> PngDecoder.decode(png, "test", Long.MAX_VALUE));
        assertThat(byZip).as("java.util.zip checks the Adler-32 when the last row is written").isNotNull();
        assertThat(byDecode).isInstanceOf(byZip.getClass()).hasMessage(byZip.getMessage());
    }

    private static int rowBytes(PngDecoder.Header header) {
        return (int) ((1 + header.width() * header.bitDepth() / 8) * header.height());
    }

    private static byte[] sixteenBit(Random random, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_USHORT_GRAY);
        short[] data = ((DataBufferUShort) image.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < data.length; i++) {
            data[i] = (short) (1000 + (i % width) * 3 + random.nextInt(64)); // 12 significant bits, as a CR has
        }
        return TestImages.encode(image);
    }

    /** The file with IHDR's height replaced (and its CRC made right again). */
    private static byte[] withHeight(byte[] png, int height) {
        byte[] out = png.clone();
        ByteBuffer.wrap(out, 8 + 8 + 4, 4).putInt(height);
        fixCrc(out, 8);
        return out;
    }

    /** The file with the last byte of the zlib stream's Adler-32 flipped (in the last IDAT, its CRC made right). */
    private static byte[] withDamagedAdler(byte[] png) {
        byte[] out = png.clone();
        int lastIdat = -1;
        for (int at = 8; at + 8 <= out.length; at += 12 + ByteBuffer.wrap(out, at, 4).getInt()) {
            if (out[at + 4] == 'I' && out[at + 5] == 'D' && out[at + 6] == 'A' && out[at + 7] == 'T') {
                lastIdat = at;
            }
        }
        int length = ByteBuffer.wrap(out, lastIdat, 4).getInt();
        out[lastIdat + 8 + length - 1] ^= 0x5A;
        fixCrc(out, lastIdat);
        return out;
    }

    private static void fixCrc(byte[] png, int chunk) {
        int length = ByteBuffer.wrap(png, chunk, 4).getInt();
        CRC32 crc = new CRC32();
        crc.update(png, chunk + 4, 4 + length);
        ByteBuffer.wrap(png, chunk + 8 + length, 4).putInt((int) crc.getValue());
    }
}
