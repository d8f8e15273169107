package org.chestlens.prediction;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** PNG in and out for the small pictures this module keeps and draws (224 x 224 and a legend). */
final class Png {

    private Png() {
    }

    /**
     * An 8-bit grey PNG of a model input whose values lie in [0, 1], written directly: every upload makes one on
     * the request thread, and ImageIO's writer tries all five filters on every row (1.3-1.8 core-ms per view
     * measured in the service, against about 0.3 for this). Each row is filtered with Sub (ISO/IEC 15948
     * section 9), which suits a smooth radiograph, and deflated at speed 1.
     */
    static byte[] greyFromUnit(float[] pixels, int width, int height) {
        byte[] rows = new byte[(width + 1) * height];
        for (int y = 0; y < height; y++) {
            int row = y * (width + 1);
            rows[row] = 1; // Sub
            int previous = 0;
            for (int x = 0; x < width; x++) {
                int v = Math.round(Math.min(1f, Math.max(0f, pixels[y * width + x])) * 255f);
                rows[row + 1 + x] = (byte) (v - previous);
                previous = v;
            }
        }
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        ByteArrayOutputStream idat = new ByteArrayOutputStream(rows.length / 2);
        try {
            deflater.setInput(rows);
            deflater.finish();
            byte[] buffer = new byte[16 * 1024];
            while (!deflater.finished()) {
                idat.write(buffer, 0, deflater.deflate(buffer));
            }
        } finally {
            deflater.end();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(idat.size() + 64);
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0); // 8-bit grey, no interlace
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** Grey values (0..255) of an 8-bit grey PNG written by {@link #greyFromUnit}. */
    static int[] greyValues(byte[] png, int width, int height) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            if (image == null || image.getWidth() != width || image.getHeight() != height) {
                throw new IllegalStateException("Stored model view is not a " + width + " x " + height + " PNG");
            }
            int[] grey = new int[width * height];
            image.getRaster().getSamples(0, 0, width, height, 0, grey);
            return grey;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A PNG of packed 0xRRGGBB pixels. */
    static byte[] rgb(int[] pixels, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        System.arraycopy(pixels, 0, ((DataBufferInt) image.getRaster().getDataBuffer()).getData(), 0, pixels.length);
        return encode(image);
    }

    static byte[] encode(BufferedImage image) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            // A fast deflate: these pictures are small and answered while a client waits.
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.75f);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
