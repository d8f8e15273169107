package org.chestlens;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import javax.imageio.ImageIO;

/** Real PNG files for tests: the model package's reference images, and generated ones. */
public final class TestImages {

    /** What the DICOM fixtures carry about their invented patient (src/test/resources/dicom/README.txt). */
    public static final java.util.List<String> FIXTURE_PATIENT_IDENTITY =
            java.util.List.of("Doe^Jane", "Doe", "19700101", "PID-TEST-0001");

    public static final Path REFERENCE_DIR = Path.of("models/chestlens-demo-densenet121/reference");

    // Tests run against a persistent database too: a salt per run keeps "new" images new.
    private static final long RUN_SALT = System.nanoTime();

    private TestImages() {
    }

    public static byte[] reference(String name) {
        try {
            return Files.readAllBytes(REFERENCE_DIR.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A chest-like 8-bit grey PNG, different for every seed and every test run (so its SHA-256 is new). */
    public static byte[] syntheticPng(long seed, int width, int height) {
        Random random = new Random(seed * 31 + RUN_SALT);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double dx = (x - width / 2.0) / width;
                double dy = (y - height / 2.0) / height;
                double lung = Math.exp(-((Math.abs(dx) - 0.2) * (Math.abs(dx) - 0.2) * 40 + dy * dy * 10));
                int v = (int) Math.max(0, Math.min(255, 200 - 120 * lung + random.nextGaussian() * 8));
                image.getRaster().setSample(x, y, 0, v);
            }
        }
        return encode(image);
    }

    public static byte[] encode(BufferedImage image) {
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A structurally valid PNG whose header declares the given size but carries almost no data. */
    public static byte[] pngDeclaring(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[1024]);
        deflater.finish();
        byte[] compressed = new byte[2048];
        int length = deflater.deflate(compressed);
        byte[] idat = java.util.Arrays.copyOf(compressed, length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        writeChunk(out, "IHDR", ihdr.array());
        writeChunk(out, "IDAT", idat);
        writeChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** The PNG with a tEXt chunk before IEND: the same pixels, bytes (and so a hash) never seen before. */
    public static byte[] withTextChunk(byte[] png, String comment) {
        byte[] text = ("Comment\0" + comment).getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer chunk = ByteBuffer.allocate(12 + text.length);
        chunk.putInt(text.length).put("tEXt".getBytes(StandardCharsets.US_ASCII)).put(text);
        CRC32 crc = new CRC32();
        crc.update(chunk.array(), 4, 4 + text.length);
        chunk.putInt((int) crc.getValue());
        int iend = png.length - 12;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, iend);
        out.write(chunk.array(), 0, chunk.capacity());
        out.write(png, iend, 12);
        return out.toByteArray();
    }
}
