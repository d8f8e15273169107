package org.chestlens.ingest;

/**
 * A decoder of greyscale DICOM RLE Lossless frames (PS3.5 annex G): a 64-byte header of segment
 * offsets, then one PackBits segment per byte plane of the sample, most significant first (one for
 * 8-bit, two for 16-bit samples). It writes the samples straight into the {@code int[]} the pipeline
 * uses, sized from the DICOM header the pre-check held against max-pixels.
 *
 * <p>Refused as corrupt (an {@link UploadRejectedException}): a segment count other than the sample's
 * byte planes, offsets that do not start at 64, go backwards or point past the frame, and a segment
 * that ends before it has filled its plane or whose literal run reads past its end. Output beyond a
 * full plane (an encoder's padding) is ignored, as dcmtk and pydicom do.
 */
final class RleDecoder {

    private static final int HEADER = 64;

    private RleDecoder() {
    }

    /** The first frame's samples as stored (unsigned Bits Allocated words), row by row. */
    static int[] decode(byte[] frame, DicomImageHeader header, String label) {
        int planes = header.bitsAllocated() / 8;
        if (frame.length < HEADER) {
            throw corrupt(label, "its header is shorter than 64 bytes");
        }
        long segments = DicomBytes.u32(frame, 0, false);
        if (segments != planes) {
            throw corrupt(label, "it has " + segments + " segments where " + planes + " are needed for "
                    + header.bitsAllocated() + "-bit greyscale");
        }
        long[] offsets = new long[planes + 1];
        for (int i = 0; i < planes; i++) {
            offsets[i] = DicomBytes.u32(frame, 4 + 4 * i, false);
        }
        offsets[planes] = frame.length;
        if (offsets[0] != HEADER) {
            throw corrupt(label, "its first segment does not start after the header");
        }
        for (int i = 1; i <= planes; i++) {
            if (offsets[i] <= offsets[i - 1] || offsets[i] > frame.length) {
                throw corrupt(label, "its segment offsets are out of order or past the end of the frame");
            }
        }
        int[] out = new int[header.rows() * header.columns()];
        for (int plane = 0; plane < planes; plane++) {
            segment(frame, (int) offsets[plane], (int) offsets[plane + 1], out, 8 * (planes - 1 - plane), label);
        }
        return out;
    }

    /** PackBits: n in 0..127 copies n + 1 bytes, n in -127..-1 repeats the next byte 1 - n times, -128 is nothing. */
    private static void segment(byte[] in, int from, int to, int[] out, int shift, String label) {
        int p = from;
        int i = 0;
        int count = out.length;
        while (i < count) {
            if (p >= to) {
                throw corrupt(label, "a segment ends before its byte plane is complete");
            }
            int n = in[p++];
            if (n >= 0) {
                if (p + n + 1 > to) {
                    throw corrupt(label, "a literal run reads past the end of its segment");
                }
                int last = Math.min(count, i + n + 1);
                if (shift == 0) {
                    while (i < last) {
                        out[i++] |= in[p++] & 0xFF;
                    }
                } else {
                    while (i < last) {
                        out[i++] |= (in[p++] & 0xFF) << shift;
                    }
                }
            } else if (n != -128) {
                if (p >= to) {
                    throw corrupt(label, "a replicate run reads past the end of its segment");
                }
                int value = (in[p++] & 0xFF) << shift;
                int last = Math.min(count, i + 1 - n);
                while (i < last) {
                    out[i++] |= value;
                }
            }
        }
    }

    private static UploadRejectedException corrupt(String label, String why) {
        return UploadRejected.corrupt(label, "the RLE frame cannot be decoded: " + why);
    }
}
