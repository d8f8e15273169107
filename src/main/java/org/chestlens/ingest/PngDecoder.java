package org.chestlens.ingest;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import org.chestlens.platform.CpuStages;

/**
 * Decodes PNG to grey values. The chunk structure is checked first (lengths inside the file, CRCs,
 * IHDR first, IEND present) and the declared size is checked against the pixel limit, so neither a
 * truncated file nor a header claiming gigapixels ever reaches the decoder.
 */
final class PngDecoder {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    static {
        // Decoding happens in memory; ImageIO's disk cache would only add temp files.
        ImageIO.setUseCache(false);
    }

    private PngDecoder() {
    }

    static boolean isPng(byte[] bytes) {
        if (bytes.length < SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (bytes[i] != SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    static GreyImage decode(byte[] bytes, String part, long maxPixels) {
        Header header = checkStructure(bytes, part);
        if (header.width() * header.height() > maxPixels) {
            throw UploadRejected.tooManyPixels(part, header.width(), header.height(), maxPixels);
        }
        CpuStages.lap(CpuStages.Stage.PRE_CHECK);
        int ihdr = SIGNATURE.length + 8;
        if (header.colourType() == 0 && (header.bitDepth() == 8 || header.bitDepth() == 16)
                && bytes[ihdr + 10] == 0 && bytes[ihdr + 11] == 0 && bytes[ihdr + 12] == 0 // deflate, filters 0, no interlace
                && !hasChunk(bytes, "tRNS")) {
            return decodeGrey(bytes, header, part);
        }
        BufferedImage image = read(bytes, part);
        return toGrey(image, header);
    }

    /**
     * Non-interlaced 8- and 16-bit grey, the form of nearly every radiograph exported to PNG, without ImageIO:
     * the IDAT chunks are inflated straight into one buffer of the filtered rows, the rows are unfiltered in
     * place, and the image reads its values from there (16-bit big-endian). ImageIO copies every row into a
     * raster and the raster into an {@code int[]}; this keeps the inflated bytes and nothing else. The values
     * are the stored values either way, as Pillow reads them ({@code L} or {@code I;16}).
     */
    static GreyImage decodeGrey(byte[] bytes, Header header, String part) {
        int width = (int) header.width();
        int height = (int) header.height();
        int bytesPerPixel = header.bitDepth() / 8;
        int stride = 1 + width * bytesPerPixel;
        byte[] rows = new byte[Math.multiplyExact(stride, height)];
        if (!Libdeflate.available() || !Libdeflate.inflateExactly(imageData(bytes), rows)) {
            inflate(bytes, rows, part);
        }
        unfilter(rows, stride, height, bytesPerPixel, part);
        GreyImage.Packed packed = new GreyImage.Packed(rows, 1, stride, bytesPerPixel, true, 0,
                header.bitDepth(), false);
        return new GreyImage(packed, width, height, header.bitDepth(), "GREY");
    }

    /** The IDAT chunks' data, one zlib stream (the structure check has walked these chunks already). */
    static byte[] imageData(byte[] bytes) {
        int total = 0;
        for (int at = SIGNATURE.length; at + 8 <= bytes.length; at += 12 + ByteBuffer.wrap(bytes, at, 4).getInt()) {
            if (isChunk(bytes, at, "IDAT")) {
                total += ByteBuffer.wrap(bytes, at, 4).getInt();
            }
        }
        byte[] data = new byte[total];
        int filled = 0;
        for (int at = SIGNATURE.length; at + 8 <= bytes.length; at += 12 + ByteBuffer.wrap(bytes, at, 4).getInt()) {
            if (isChunk(bytes, at, "IDAT")) {
                int length = ByteBuffer.wrap(bytes, at, 4).getInt();
                System.arraycopy(bytes, at + 8, data, filled, length);
                filled += length;
            }
        }
        return data;
    }

    private static boolean isChunk(byte[] bytes, int at, String type) {
        return bytes[at + 4] == type.charAt(0) && bytes[at + 5] == type.charAt(1) && bytes[at + 6] == type.charAt(2)
                && bytes[at + 7] == type.charAt(3);
    }

    /**
     * The filtered rows with {@code java.util.zip}: where libdeflate is missing, or would not inflate the stream in
     * one piece to exactly the rows' size (then this decides, as it did before libdeflate was used).
     */
    static void inflate(byte[] bytes, byte[] rows, String part) {
        Inflater inflater = new Inflater();
        try {
            int filled = 0;
            int at = SIGNATURE.length;
            while (filled < rows.length && at + 8 <= bytes.length) {
                int length = ByteBuffer.wrap(bytes, at, 4).getInt();
                if (isChunk(bytes, at, "IDAT")) {
                    inflater.setInput(bytes, at + 8, length);
                    while (filled < rows.length && !inflater.needsInput() && !inflater.finished()) {
                        int n = inflater.inflate(rows, filled, rows.length - filled);
                        if (n == 0 && inflater.needsDictionary()) {
                            throw UploadRejected.corrupt(part, "the PNG image data is damaged");
                        }
                        filled += n;
                    }
                }
                at += 12 + length; // the structure check has walked these chunks already
            }
            if (filled < rows.length) {
                throw UploadRejected.corrupt(part, "the PNG image data is damaged");
            }
        } catch (DataFormatException e) {
            throw UploadRejected.corrupt(part, "the PNG image data is damaged");
        } finally {
            inflater.end();
        }
    }

    /** Undoes the PNG filters (ISO/IEC 15948 section 9) in place, row after row; the first byte of each row names its filter. */
    static void unfilter(byte[] rows, int stride, int height, int bpp, String part) {
        for (int y = 0; y < height; y++) {
            int row = y * stride + 1; // the row above (unfiltered already) starts a stride before; none above the first
            int end = row + stride - 1;
            switch (rows[row - 1]) {
                case 0 -> { }
                case 1 -> {
                    for (int i = row + bpp; i < end; i++) {
                        rows[i] += rows[i - bpp];
                    }
                }
                case 2 -> {
                    if (y > 0) {
                        for (int i = row; i < end; i++) {
                            rows[i] += rows[i - stride];
                        }
                    }
                }
                case 3 -> {
                    for (int i = row; i < end; i++) {
                        int left = i - bpp >= row ? rows[i - bpp] & 0xFF : 0;
                        int up = y > 0 ? rows[i - stride] & 0xFF : 0;
                        rows[i] += (byte) ((left + up) >>> 1);
                    }
                }
                case 4 -> {
                    for (int i = row; i < end; i++) {
                        boolean hasLeft = i - bpp >= row;
                        int left = hasLeft ? rows[i - bpp] & 0xFF : 0;
                        int up = y > 0 ? rows[i - stride] & 0xFF : 0;
                        int upLeft = hasLeft && y > 0 ? rows[i - bpp - stride] & 0xFF : 0;
                        rows[i] += (byte) paeth(left, up, upLeft);
                    }
                }
                default -> throw UploadRejected.corrupt(part, "the PNG image data is damaged");
            }
        }
    }

    private static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /** Whether a chunk of this type comes before the image data ends (walked without checks: the structure check did them). */
    private static boolean hasChunk(byte[] bytes, String type) {
        int at = SIGNATURE.length;
        while (at + 8 <= bytes.length) {
            if (isChunk(bytes, at, type)) {
                return true;
            }
            if (isChunk(bytes, at, "IEND")) {
                return false;
            }
            at += 12 + ByteBuffer.wrap(bytes, at, 4).getInt();
        }
        return false;
    }

    record Header(long width, long height, int bitDepth, int colourType) {
    }

    /** Walks the chunks without decompressing anything. */
    static Header checkStructure(byte[] bytes, String part) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        in.position(SIGNATURE.length);
        Header header = null;
        boolean sawData = false;
        CRC32 crc = new CRC32();
        while (true) {
            if (in.remaining() < 12) {
                throw UploadRejected.corrupt(part, "the PNG ends before its IEND chunk (truncated file)");
            }
            long length = Integer.toUnsignedLong(in.getInt());
            int typeStart = in.position();
            String type = new String(bytes, typeStart, 4, StandardCharsets.ISO_8859_1);
            if (length > in.remaining() - 8) {
                throw UploadRejected.corrupt(part, "chunk " + printable(type) + " declares " + length
                        + " bytes but the file ends sooner (truncated file)");
            }
            crc.reset();
            crc.update(bytes, typeStart, 4 + (int) length);
            in.position(typeStart + 4 + (int) length);
            if ((int) crc.getValue() != in.getInt()) {
                throw UploadRejected.corrupt(part, "chunk " + printable(type) + " fails its CRC check");
            }
            if (header == null) {
                if (!"IHDR".equals(type) || length != 13) {
                    throw UploadRejected.corrupt(part, "the first chunk is not a valid IHDR");
                }
                ByteBuffer ihdr = ByteBuffer.wrap(bytes, typeStart + 4, 13);
                header = new Header(Integer.toUnsignedLong(ihdr.getInt()), Integer.toUnsignedLong(ihdr.getInt()),
                        ihdr.get() & 0xff, ihdr.get() & 0xff);
                if (header.width() == 0 || header.height() == 0) {
                    throw UploadRejected.corrupt(part, "the header declares an empty image");
                }
            }
            sawData |= "IDAT".equals(type);
            if ("IEND".equals(type)) {
                if (!sawData) {
                    throw UploadRejected.corrupt(part, "the PNG has no image data");
                }
                return header;
            }
        }
    }

    private static BufferedImage read(byte[] bytes, String part) {
        try (ImageInputStream stream = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
            ImageReader reader = readers.next();
            try {
                reader.setInput(stream, true, true);
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw UploadRejected.corrupt(part, "the PNG image data is damaged");
        }
    }

    /**
     * Grey images keep their stored values (any bit depth); colour and palette images become
     * luminance with Pillow's integer ITU-R 601-2 weights, which is what InnerEye's
     * {@code Image.convert("L")} computes on 8-bit channels.
     */
    static GreyImage toGrey(BufferedImage image, Header header) {
        int width = image.getWidth();
        int height = image.getHeight();
        Raster raster = image.getRaster();
        int[] samples = new int[width * height];
        boolean grey = image.getColorModel().getNumColorComponents() == 1
                && !(image.getColorModel() instanceof IndexColorModel);
        if (grey) {
            if (!copyGreyBuffer(raster, samples)) {
                raster.getSamples(0, 0, width, height, 0, samples);
            }
            return new GreyImage(samples, width, height, header.bitDepth(), "GREY");
        }
        if (image.getColorModel() instanceof ComponentColorModel && raster.getNumBands() >= 3) {
            // Pillow reads 16-bit colour PNGs as 8-bit RGB by keeping the high byte.
            int shift = raster.getTransferType() == DataBuffer.TYPE_USHORT ? 8 : 0;
            int[] row = new int[width * raster.getNumBands()];
            for (int y = 0; y < height; y++) {
                raster.getPixels(0, y, width, 1, row);
                for (int x = 0; x < width; x++) {
                    int base = x * raster.getNumBands();
                    samples[y * width + x] = luminance(row[base] >> shift, row[base + 1] >> shift,
                            row[base + 2] >> shift);
                }
            }
        } else {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int rgb = image.getRGB(x, y);
                    samples[y * width + x] = luminance((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff);
                }
            }
        }
        return new GreyImage(samples, width, height, 8, header.colourType() == 3 ? "PALETTE" : "RGB");
    }

    /**
     * Reads 8- and 16-bit grey pixels straight from the raster's array: Raster.getSamples goes
     * through the sample model pixel by pixel and cost as much as the decoding itself. Other
     * layouts (1, 2 and 4 bits packed) return false and take the general path.
     */
    private static boolean copyGreyBuffer(Raster raster, int[] samples) {
        if (!(raster.getSampleModel() instanceof ComponentSampleModel model) || model.getNumBands() != 1
                || model.getPixelStride() != 1 || raster.getSampleModelTranslateX() != 0
                || raster.getSampleModelTranslateY() != 0 || raster.getDataBuffer().getNumBanks() != 1) {
            return false;
        }
        int width = raster.getWidth();
        int stride = model.getScanlineStride();
        int offset = raster.getDataBuffer().getOffset() + model.getOffset(0, 0);
        if (raster.getDataBuffer() instanceof DataBufferByte bytes) {
            byte[] data = bytes.getData();
            for (int y = 0; y < raster.getHeight(); y++) {
                int from = offset + y * stride;
                int to = y * width;
                for (int x = 0; x < width; x++) {
                    samples[to + x] = data[from + x] & 0xff;
                }
            }
            return true;
        }
        if (raster.getDataBuffer() instanceof DataBufferUShort shorts) {
            short[] data = shorts.getData();
            for (int y = 0; y < raster.getHeight(); y++) {
                int from = offset + y * stride;
                int to = y * width;
                for (int x = 0; x < width; x++) {
                    samples[to + x] = data[from + x] & 0xffff;
                }
            }
            return true;
        }
        return false;
    }

    static int luminance(int r, int g, int b) {
        return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 'A' && c <= 'z') ? type : "(unreadable type)";
    }
}
