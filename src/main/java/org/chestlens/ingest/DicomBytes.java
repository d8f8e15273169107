package org.chestlens.ingest;

/** Reading DICOM's fixed-width fields, and the two ways a length field can lie about the file. */
final class DicomBytes {

    private DicomBytes() {
    }

    static int tag(byte[] b, int pos, boolean big) {
        return (u16(b, pos, big) << 16) | u16(b, pos + 2, big);
    }

    static int u16(byte[] b, int pos, boolean big) {
        int b0 = b[pos] & 0xFF;
        int b1 = b[pos + 1] & 0xFF;
        return big ? (b0 << 8) | b1 : (b1 << 8) | b0;
    }

    static long u32(byte[] b, int pos, boolean big) {
        long lo = u16(b, pos, big);
        long hi = u16(b, pos + 2, big);
        return big ? (lo << 16) | hi : (hi << 16) | lo;
    }

    static String hex(int tag) {
        return String.format("(%04X,%04X)", tag >>> 16, tag & 0xFFFF);
    }

    /** The file ends inside an element; {@code tag} 0 when inside an element header. */
    static UploadRejectedException truncated(String part, int tag) {
        return UploadRejected.corrupt(part, "the data set ends inside "
                + (tag == 0 ? "an element header" : "element " + hex(tag)) + " (truncated file)");
    }

    static UploadRejectedException beyondFile(String part, int tag, long length) {
        return UploadRejected.corrupt(part, "element " + hex(tag) + " declares " + length
                + " bytes but the file ends sooner (truncated file or damaged length)");
    }
}
