package org.chestlens.ingest;

import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Checks a DICOM Part 10 file before PixelMed sees it. PixelMed allocates whatever a length field
 * declares (a 10 MB file declaring 2 GB of pixel data ends in OutOfMemoryError), inflates deflated
 * data sets without a limit, hides some read errors (a truncated file becomes an attribute list
 * without Pixel Data) and hands compressed frames to codecs (ImageIO's JPEG reader, OpenJPEG, CharLS)
 * that allocate what the codestream header declares. So the file meta information is read ({@link DicomMetaHeader}),
 * inflation stops at a cap, every length in the data set is checked against the bytes that are
 * really there ({@link DicomDataSetWalker}), and the image size is checked against
 * {@code maxPixels} both in the DICOM header and in the first frame's codestream header
 * ({@link DicomImageHeader}).
 */
final class DicomPreCheck {

    /** A deflated data set may inflate to one full frame at the pixel limit plus this much header. */
    static final long INFLATION_HEADROOM = 16L << 20;

    private DicomPreCheck() {
    }

    /**
     * What the check found: where PixelMed should read from, the checked image header, and where in
     * {@code dataSet} native (uncompressed) Pixel Data starts (-1 when encapsulated): its length was checked
     * against the frames the header declares.
     */
    record Layout(DicomTransferSyntax syntax, byte[] dataSet, int dataSetOffset, int dataSetLength,
                  DicomImageHeader header, int pixelDataOffset) {
    }

    static Layout check(byte[] bytes, String part, long maxPixels) {
        if (!DicomMetaHeader.isPart10(bytes)) {
            throw UploadRejected.notDicomPart10(part);
        }
        DicomMetaHeader meta = DicomMetaHeader.read(bytes, part);
        String uid = meta.transferSyntaxUid();
        DicomTransferSyntax syntax = DicomTransferSyntax.of(uid)
                .orElseThrow(() -> UploadRejected.unsupportedTransferSyntax(part, uid, null));
        if (!syntax.decodable()) {
            String missing = syntax.missingLibrary();
            throw UploadRejected.unsupportedTransferSyntax(part, uid, missing == null ? syntax.title()
                    : syntax.title() + ", whose decoder (Debian package " + missing + ") is not installed here,");
        }
        byte[] dataSet = bytes;
        int offset = meta.dataSetStart();
        int length = bytes.length - offset;
        if (syntax.encoding() == DicomTransferSyntax.Encoding.DEFLATED) {
            dataSet = inflate(bytes, offset, part, inflationCap(maxPixels));
            offset = 0;
            length = dataSet.length;
        }
        DicomPixelAttributes found = DicomDataSetWalker.walk(dataSet, offset, length, syntax.encoding(), part);
        return new Layout(syntax, dataSet, offset, length, DicomImageHeader.check(found, syntax, maxPixels, part),
                found.encapsulated() ? -1 : found.pixelDataOffset());
    }

    /** One 16-bit frame at the pixel limit plus header room, and never more than a Java array holds. */
    static long inflationCap(long maxPixels) {
        long cap = maxPixels > (Integer.MAX_VALUE - INFLATION_HEADROOM) / 2 ? Integer.MAX_VALUE
                : 2 * maxPixels + INFLATION_HEADROOM;
        return Math.min(cap, Integer.MAX_VALUE - 8L);
    }

    /** Raw deflate (PS3.5 A.5), stopped as soon as the output passes {@code cap}. */
    static byte[] inflate(byte[] b, int offset, String part, long cap) {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(b, offset, b.length - offset);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(b.length * 4, 1 << 20));
            byte[] chunk = new byte[64 << 10];
            while (!inflater.finished()) {
                int n = inflater.inflate(chunk);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw UploadRejected.corrupt(part, "the deflated data set ends early (truncated file)");
                }
                if ((long) out.size() + n > cap) {
                    throw UploadRejected.corrupt(part, "the deflated data set inflates to more than " + cap
                            + " bytes");
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw UploadRejected.corrupt(part, "the deflated data set is damaged");
        } finally {
            inflater.end();
        }
    }
}
