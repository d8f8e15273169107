package org.chestlens.ingest;

/**
 * The top-level image pixel attributes, checked for consistency with each other and with the pixel
 * data; {@code codestream} is the first frame's JPEG or JPEG 2000 header, else null.
 */
record DicomImageHeader(int rows, int columns, int frames, int samplesPerPixel, int bitsAllocated, int bitsStored,
                        int highBit, boolean signed, String photometricInterpretation, int fragments,
                        DicomCodestream codestream) {

    /**
     * The header of a greyscale image of at most {@code maxPixels} whose pixel data holds what it
     * declares, with the first compressed frame's own header agreeing, or the reason it is refused.
     */
    static DicomImageHeader check(DicomPixelAttributes found, DicomTransferSyntax syntax, long maxPixels,
                                  String part) {
        if (found.pixelDataLength() < 0 && !found.encapsulated()) {
            throw UploadRejected.corrupt(part, "the data set has no Pixel Data");
        }
        if (found.encapsulated() != syntax.encoding().encapsulated()) {
            throw UploadRejected.corrupt(part, "the Pixel Data is " + (found.encapsulated() ? "" : "not ")
                    + "encapsulated, which " + syntax.title() + " does not allow");
        }
        Integer rows = found.rows();
        Integer columns = found.columns();
        if (rows == null || columns == null || rows == 0 || columns == 0) {
            throw UploadRejected.corrupt(part, "Rows or Columns is missing or zero");
        }
        int samples = found.samplesPerPixel() == null ? 1 : found.samplesPerPixel();
        String pi = found.photometricInterpretation() == null ? "" : found.photometricInterpretation();
        if (samples != 1 || !(pi.equals("MONOCHROME1") || pi.equals("MONOCHROME2"))) {
            if (pi.isEmpty() && samples == 1) {
                throw UploadRejected.corrupt(part, "the data set has no Photometric Interpretation");
            }
            throw UploadRejected.notGreyscale(part, pi.isEmpty() ? "(none)" : pi, samples);
        }
        if ((long) rows * columns > maxPixels) {
            throw UploadRejected.tooManyPixels(part, columns, rows, maxPixels);
        }
        Integer bitsAllocated = found.bitsAllocated();
        if (bitsAllocated == null || (bitsAllocated != 8 && bitsAllocated != 16)) {
            throw UploadRejected.unsupportedPixelData(part, "Bits Allocated is " + bitsAllocated
                    + "; only 8 and 16 are supported");
        }
        Integer bitsStored = found.bitsStored();
        if (bitsStored == null || bitsStored < 1 || bitsStored > bitsAllocated) {
            throw UploadRejected.corrupt(part, "Bits Stored is " + bitsStored + " with Bits Allocated "
                    + bitsAllocated);
        }
        int high = found.highBit() == null ? bitsStored - 1 : found.highBit();
        if (high < bitsStored - 1 || high >= bitsAllocated) {
            throw UploadRejected.corrupt(part, "High Bit " + high + " does not fit Bits Stored " + bitsStored);
        }
        int representation = found.pixelRepresentation() == null ? 0 : found.pixelRepresentation();
        if (representation > 1) {
            throw UploadRejected.corrupt(part, "Pixel Representation is " + representation);
        }
        int frames = frames(found.numberOfFrames(), part);
        DicomCodestream codestream = null;
        if (found.encapsulated()) {
            if (found.fragments() < 1) {
                throw UploadRejected.corrupt(part, "the encapsulated pixel data has no fragments");
            }
            if (frames > found.fragments()) {
                throw UploadRejected.corrupt(part, "the data set declares " + frames + " frames but its pixel "
                        + "data has only " + found.fragments() + " fragments");
            }
            codestream = checkCodestream(found.firstFrameHead(), syntax, rows, columns, bitsAllocated, part);
        } else {
            requireNativeLength(found.pixelDataLength(), frames, rows, columns, bitsAllocated, part);
        }
        return new DicomImageHeader(rows, columns, frames, samples, bitsAllocated, bitsStored, high,
                representation == 1, pi, found.fragments(), codestream);
    }

    private static int frames(String numberOfFrames, String part) {
        if (numberOfFrames == null || numberOfFrames.isEmpty()) {
            return 1;
        }
        try {
            int frames = Integer.parseInt(numberOfFrames);
            if (frames >= 1) {
                return frames;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw UploadRejected.corrupt(part, "Number of Frames is not a positive integer");
    }

    private static void requireNativeLength(long pixelDataLength, int frames, int rows, int columns,
                                            int bitsAllocated, String part) {
        long needed;
        try {
            needed = Math.multiplyExact(Math.multiplyExact((long) frames, (long) rows * columns), bitsAllocated / 8L);
        } catch (ArithmeticException e) {
            needed = Long.MAX_VALUE;
        }
        if (needed > pixelDataLength) {
            throw UploadRejected.corrupt(part, "the Pixel Data holds " + pixelDataLength + " bytes but "
                    + frames + " frame(s) of " + columns + " x " + rows + " at " + bitsAllocated
                    + " bits need " + needed);
        }
    }

    /** The first frame's own header must describe the image that the DICOM header declares. */
    private static DicomCodestream checkCodestream(byte[] firstFrameHead, DicomTransferSyntax syntax, int rows,
                                                   int columns, int bitsAllocated, String part) {
        DicomCodestream codestream = DicomCodestream.read(syntax, firstFrameHead, part);
        if (codestream == null) {
            return null;
        }
        if (codestream.width() != columns || codestream.height() != rows) {
            throw UploadRejected.corrupt(part, "the first frame is " + codestream.width() + " x "
                    + codestream.height() + " but the header declares " + columns + " x " + rows);
        }
        if (codestream.components() != 1) {
            throw UploadRejected.corrupt(part, "the first frame has " + codestream.components()
                    + " components but the image is greyscale");
        }
        codestream.checkJpegProcess(syntax, part);
        if (codestream.precision() > bitsAllocated) {
            throw UploadRejected.corrupt(part, "the first frame has " + codestream.precision()
                    + "-bit samples but Bits Allocated is " + bitsAllocated);
        }
        return codestream;
    }
}
