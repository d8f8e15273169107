package org.chestlens.ingest;

import java.nio.charset.StandardCharsets;

/**
 * The top-level image pixel attributes of a data set as {@link DicomDataSetWalker} found them, not
 * yet checked against each other (null when absent); {@link DicomImageHeader#check} does that.
 *
 * @param pixelDataLength the length of native Pixel Data, -1 when absent or encapsulated
 * @param fragments the fragments of encapsulated pixel data, after the offset table
 * @param firstFrameHead the first bytes of the first fragments, joined; empty for native pixel data
 * @param pixelDataOffset where the value of native Pixel Data starts, -1 when absent or encapsulated
 */
record DicomPixelAttributes(Integer rows, Integer columns, Integer bitsAllocated, Integer bitsStored,
                            Integer highBit, Integer pixelRepresentation, Integer samplesPerPixel,
                            String numberOfFrames, String photometricInterpretation, long pixelDataLength,
                            boolean encapsulated, int fragments, byte[] firstFrameHead, int pixelDataOffset) {

    private static final int PIXEL_DATA = 0x7FE00010;

    /** Collects the attributes as the walk passes them; a later occurrence replaces an earlier one. */
    static final class Collector {

        private final byte[] b;
        private final String part;
        private Integer rows;
        private Integer columns;
        private Integer bitsAllocated;
        private Integer bitsStored;
        private Integer highBit;
        private Integer pixelRepresentation;
        private Integer samplesPerPixel;
        private String numberOfFrames;
        private String photometric;
        private long pixelDataLength = -1;
        private int pixelDataOffset = -1;
        private boolean encapsulated;
        private int fragments;
        private byte[] firstFrameHead = new byte[0];

        Collector(byte[] b, String part) {
            this.b = b;
            this.part = part;
        }

        /** A top-level element with a defined length, its value at {@code at}. */
        void element(int tag, byte[] vr, int at, int length, boolean big) {
            switch (tag) {
                case 0x00280010 -> rows = us(tag, vr, at, length, big);
                case 0x00280011 -> columns = us(tag, vr, at, length, big);
                case 0x00280100 -> bitsAllocated = us(tag, vr, at, length, big);
                case 0x00280101 -> bitsStored = us(tag, vr, at, length, big);
                case 0x00280102 -> highBit = us(tag, vr, at, length, big);
                case 0x00280103 -> pixelRepresentation = us(tag, vr, at, length, big);
                case 0x00280002 -> samplesPerPixel = us(tag, vr, at, length, big);
                case 0x00280008 -> numberOfFrames = text(at, length);
                case 0x00280004 -> photometric = text(at, length);
                case PIXEL_DATA -> {
                    encapsulated = false;
                    pixelDataLength = length;
                    pixelDataOffset = at;
                }
                default -> {
                }
            }
        }

        /** Top-level Pixel Data of undefined length, in fragments. */
        void encapsulatedPixelData(int fragmentCount, byte[] head) {
            encapsulated = true;
            pixelDataLength = -1;
            pixelDataOffset = -1;
            fragments = fragmentCount;
            firstFrameHead = head;
        }

        DicomPixelAttributes attributes() {
            return new DicomPixelAttributes(rows, columns, bitsAllocated, bitsStored, highBit, pixelRepresentation,
                    samplesPerPixel, numberOfFrames, photometric, pixelDataLength, encapsulated, fragments,
                    firstFrameHead, pixelDataOffset);
        }

        /** A single US value, which is what PixelMed will read for these attributes. */
        private Integer us(int tag, byte[] vr, int at, int length, boolean big) {
            if (length != 2 || !(vr[0] == 'U' && vr[1] == 'S')) {
                throw UploadRejected.corrupt(part, "attribute " + DicomBytes.hex(tag)
                        + " is not a single unsigned short");
            }
            return DicomBytes.u16(b, at, big);
        }

        private String text(int at, int length) {
            return new String(b, at, length, StandardCharsets.ISO_8859_1).replace("\0", "").trim();
        }
    }
}
