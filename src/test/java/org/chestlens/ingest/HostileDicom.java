package org.chestlens.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Hostile and broken DICOM files, and the byte-level builders they are made with, shared by the
 * decoder's tests ({@link DicomPreCheckTest}, {@link DicomFuzzTest}) and the test against a running
 * service with {@code -Xmx1g} ({@link HostileDicomServiceTest}). Each file differs from a valid one
 * in one thing; the valid ones are the committed fixtures or {@link #imageHeader} + {@link #pixelDataHeader}.
 */
final class HostileDicom {

    private HostileDicom() {
    }

    // ---- hostile files ---------------------------------------------------------------------------

    /** About 10 MB whose Pixel Data element declares 2 GB (0x80000000 bytes) for a 32768 x 32768 image. */
    static byte[] tenMegabytesDeclaringTwoGigabytesOfPixelData() {
        return concat(metaHeader("1.2.840.10008.1.2.1"), imageHeader(32768, 32768), pixelDataHeader(0x80000000L),
                new byte[10 << 20]);
    }

    /** Deflated explicit VR little endian, about 1 MB, inflating to 1 GiB of declared pixel data (zeros). */
    static byte[] deflateBombOfOneGibibyte() {
        long pixelBytes = 1L << 30;
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        try (DeflaterOutputStream out = new DeflaterOutputStream(compressed, deflater, 1 << 16)) {
            out.write(concat(imageHeader(16384, 32768), pixelDataHeader(pixelBytes)));
            byte[] zeros = new byte[8 << 20];
            for (long written = 0; written < pixelBytes; written += zeros.length) {
                out.write(zeros);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deflater.end();
        }
        return concat(metaHeader("1.2.840.10008.1.2.1.99"), compressed.toByteArray());
    }

    /** A fixture cut at {@code cut} bytes. */
    static byte[] truncated(String fixture, int cut) {
        return Arrays.copyOf(DicomDecoderTest.fixture(fixture), cut);
    }

    /** A valid data set without the 128-byte preamble, "DICM" and the meta information: not Part 10. */
    static byte[] dataSetWithoutPart10Header() {
        byte[] dicom = DicomDecoderTest.fixture("explicit-le.dcm");
        return Arrays.copyOfRange(dicom, 132, dicom.length);
    }

    /** explicit-le.dcm ending just before its Pixel Data element. */
    static byte[] withoutPixelData() {
        byte[] file = DicomDecoderTest.fixture("explicit-le.dcm");
        return Arrays.copyOf(file, indexOf(file, bytes(0xE0, 0x7F, 0x10, 0x00, 'O', 'W'), 0));
    }

    /** A 3-frame fixture whose Number of Frames says 9: frames x rows x columns beyond the pixel data. */
    static byte[] moreFramesThanThePixelDataHolds(String fixture) {
        byte[] file = DicomDecoderTest.fixture(fixture);
        int at = indexOf(file, bytes(0x28, 0, 0x08, 0, 'I', 'S'), 0);
        file[at + 8] = '9';
        return file;
    }

    /** jpeg-lossless-sv1.dcm (320 x 256) whose JPEG SOF3 header declares 320 x 65280. */
    static byte[] jpegWhoseCodestreamDeclaresAHugeFrame() {
        byte[] file = DicomDecoderTest.fixture("jpeg-lossless-sv1.dcm");
        int sof = indexOf(file, bytes(0xFF, 0xC3), 0);
        file[sof + 5] = (byte) 0xFF; // height 65280 + 0
        file[sof + 6] = 0;
        return file;
    }

    /** The one fragment of jpeg-extended-12bit.dcm: a 320 x 256 12-bit JPEG Extended (SOF1) codestream. */
    static byte[] twelveBitJpegFrame() {
        return firstFragment("jpeg-extended-12bit.dcm");
    }

    /** jpeg-extended-12bit.dcm with its one fragment replaced by {@code frame} (padded to an even length). */
    static byte[] twelveBitJpegWithFrame(byte[] frame) {
        return withFirstFragment("jpeg-extended-12bit.dcm", frame);
    }

    /** The first fragment of an encapsulated fixture whose first frame is one fragment. */
    static byte[] firstFragment(String fixture) {
        byte[] file = DicomDecoderTest.fixture(fixture);
        int fragment = firstFragment(file);
        int length = (int) u32(file, fragment + 4);
        return Arrays.copyOfRange(file, fragment + 8, fragment + 8 + length);
    }

    /** An encapsulated one-fragment fixture with that fragment replaced by {@code frame} (padded to an even length). */
    static byte[] withFirstFragment(String fixture, byte[] frame) {
        byte[] file = DicomDecoderTest.fixture(fixture);
        byte[] padded = Arrays.copyOf(frame, frame.length + (frame.length & 1));
        byte[] item = bytes(0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0);
        putU32(item, 4, padded.length);
        return concat(Arrays.copyOf(file, firstFragment(file)), item, padded,
                bytes(0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0));
    }

    /** Where the first fragment's item header is: after Pixel Data (OB, undefined length) and its offset table. */
    private static int firstFragment(byte[] file) {
        int offsetTable = indexOf(file, bytes(0xE0, 0x7F, 0x10, 0x00, 'O', 'B'), 0) + 12;
        return offsetTable + 8 + (int) u32(file, offsetTable + 4);
    }

    // ---- builders --------------------------------------------------------------------------------

    static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("pattern not found");
    }

    static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    static void putU32(byte[] b, int at, long value) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) value);
    }

    static long u32(byte[] b, int at) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(at) & 0xFFFFFFFFL;
    }

    static void putU16(byte[] b, int at, int value) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(at, (short) value);
    }

    /** The preamble and meta information of a fixture, with its transfer syntax UID replaced. */
    static byte[] metaHeader(String transferSyntaxUid) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[DicomMetaHeader.PREAMBLE_LENGTH]);
        out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        String uid = transferSyntaxUid.length() % 2 == 0 ? transferSyntaxUid : transferSyntaxUid + "\0";
        out.writeBytes(element(0x0002, 0x0010, "UI", uid.getBytes(StandardCharsets.US_ASCII)));
        return out.toByteArray();
    }

    /** One explicit VR little endian element with a short-form length. */
    static byte[] element(int group, int elementNumber, String vr, byte[] value) {
        ByteBuffer b = ByteBuffer.allocate(8 + value.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) group).putShort((short) elementNumber).put(vr.getBytes(StandardCharsets.US_ASCII))
                .putShort((short) value.length).put(value);
        return b.array();
    }

    static byte[] us(int value) {
        return bytes(value & 0xFF, value >>> 8);
    }

    /** The image pixel attributes of a 16-bit MONOCHROME2 image, explicit VR little endian. */
    static byte[] imageHeader(int rows, int columns) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(element(0x0028, 0x0002, "US", us(1)));
        out.writeBytes(element(0x0028, 0x0004, "CS", "MONOCHROME2 ".getBytes(StandardCharsets.US_ASCII)));
        out.writeBytes(element(0x0028, 0x0010, "US", us(rows)));
        out.writeBytes(element(0x0028, 0x0011, "US", us(columns)));
        out.writeBytes(element(0x0028, 0x0100, "US", us(16)));
        out.writeBytes(element(0x0028, 0x0101, "US", us(12)));
        out.writeBytes(element(0x0028, 0x0102, "US", us(11)));
        out.writeBytes(element(0x0028, 0x0103, "US", us(0)));
        return out.toByteArray();
    }

    static byte[] pixelDataHeader(long length) {
        byte[] header = bytes(0xE0, 0x7F, 0x10, 0x00, 'O', 'W', 0, 0, 0, 0, 0, 0);
        putU32(header, 8, length);
        return header;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
