package org.chestlens.prediction;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** PNG in and out for the small pictures this module keeps and draws (224 x 224 and a legend). */
final class Png {

    private Png() {
    }

    /** An 8-bit grey PNG of a model input whose values lie in [0, 1]. */
    static byte[] greyFromUnit(float[] pixels, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        byte[] raster = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < raster.length; i++) {
            raster[i] = (byte) Math.round(Math.min(1f, Math.max(0f, pixels[i])) * 255f);
        }
        return encode(image);
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
