package org.chestlens.ingest;

/**
 * What the first compressed frame says about itself, read from its JPEG frame header (SOF) or
 * JPEG 2000 size header (SIZ). The codecs (ImageIO's JPEG reader, OpenJPEG, CharLS) allocate what these
 * headers declare, not what the DICOM header declares, so the two must agree before a codec runs.
 *
 * @param process for JPEG: baseline, extended-P, progressive-P (P the precision), lossless or
 *                sof-XX; for JPEG 2000: jpeg2000
 */
record DicomCodestream(int width, int height, int components, int precision, String process) {

    /** The most tiles JPEG 2000 allows; more is a damaged header, and each tile costs the decoder setup. */
    private static final long MAX_TILES = 65535;

    /** Null for encodings without a codestream header of their own (RLE). */
    static DicomCodestream read(DicomTransferSyntax syntax, byte[] head, String part) {
        return switch (syntax.encoding()) {
            case JPEG, JPEG_LS -> jpeg(head, part);
            case JPEG_2000, HTJ2K -> jpeg2000(head, part);
            default -> null;
        };
    }

    /**
     * The JPEG processes decoded exactly here: baseline and extended at 8 bits (the JDK's reader),
     * lossless process 14 ({@link LosslessJpeg}), and extended and progressive at 12 bits (gdcm's 12-bit IJG
     * library through the chestlens-jpeg12 shim, {@link NativeCodecs}). Without that library, 12-bit
     * lossy JPEG is refused as unsupported, naming what to install, rather than decoded approximately.
     */
    void checkJpegProcess(DicomTransferSyntax syntax, String part) {
        if (syntax.encoding() == DicomTransferSyntax.Encoding.JPEG_LS) {
            if (!process.equals("jpeg-ls")) {
                throw UploadRejected.corrupt(part, "the first frame is JPEG " + process + ", not JPEG-LS");
            }
            return;
        }
        if (syntax.encoding() != DicomTransferSyntax.Encoding.JPEG) {
            return;
        }
        boolean lossless = syntax == DicomTransferSyntax.JPEG_LOSSLESS
                || syntax == DicomTransferSyntax.JPEG_LOSSLESS_SV1;
        if (lossless ? process.equals("lossless")
                : process.equals("baseline") || process.equals("extended-8") || process.equals("progressive-8")) {
            return;
        }
        if (!lossless && NativeCodecs.isTwelveBitLossyJpeg(this)) {
            String missing = NativeCodecs.jpeg12().missingPackage();
            if (missing == null) {
                return;
            }
            throw UploadRejected.unsupportedTransferSyntax(part, syntax.uid(), syntax.title()
                    + " with 12-bit samples, whose decoder (Debian package " + missing + ") is not installed here,");
        }
        throw UploadRejected.corrupt(part, "the first frame is JPEG " + process + ", which " + syntax.title()
                + " does not allow");
    }

    private static DicomCodestream jpeg(byte[] h, String part) {
        if (h.length < 4 || (h[0] & 0xFF) != 0xFF || (h[1] & 0xFF) != 0xD8) {
            throw UploadRejected.corrupt(part, "the first frame does not start with a JPEG SOI marker");
        }
        int p = 2;
        while (p + 4 <= h.length) {
            if ((h[p] & 0xFF) != 0xFF) {
                throw UploadRejected.corrupt(part, "the first frame's JPEG header is damaged");
            }
            int marker = h[p + 1] & 0xFF;
            if (marker == 0xFF) {
                p++; // fill byte
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                p += 2;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                break;
            }
            int length = ((h[p + 2] & 0xFF) << 8) | (h[p + 3] & 0xFF);
            // SOF0-15 of ITU T.81, and SOF55 (0xF7) of JPEG-LS (ITU T.87), which has the same layout
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
                    || marker == 0xF7;
            if (sof) {
                if (p + 10 > h.length || length < 8) {
                    break;
                }
                int precision = h[p + 4] & 0xFF;
                int height = ((h[p + 5] & 0xFF) << 8) | (h[p + 6] & 0xFF);
                int width = ((h[p + 7] & 0xFF) << 8) | (h[p + 8] & 0xFF);
                int components = h[p + 9] & 0xFF;
                return new DicomCodestream(width, height, components, precision, jpegProcess(marker, precision));
            }
            p += 2 + length;
        }
        throw UploadRejected.corrupt(part, "the first frame has no JPEG frame header (SOF)");
    }

    /** Which JPEG process a SOF marker names; the decoders here read processes 1, 2/4 at 8 and 12 bits, and 14. */
    private static String jpegProcess(int marker, int precision) {
        return switch (marker) {
            case 0xC0 -> "baseline";
            case 0xC1 -> "extended-" + precision;
            case 0xC2 -> "progressive-" + precision;
            case 0xC3 -> "lossless";
            case 0xF7 -> "jpeg-ls";
            default -> "sof-" + Integer.toHexString(marker);
        };
    }

    private static DicomCodestream jpeg2000(byte[] h, String part) {
        // SOC then SIZ; a non-conformant JP2 wrapper holds the same codestream further on
        for (int p = 0; p + 42 <= h.length; p++) {
            if ((h[p] & 0xFF) == 0xFF && (h[p + 1] & 0xFF) == 0x4F && (h[p + 2] & 0xFF) == 0xFF
                    && (h[p + 3] & 0xFF) == 0x51) {
                int s = p + 2;
                long xsiz = DicomBytes.u32(h, s + 6, true);
                long ysiz = DicomBytes.u32(h, s + 10, true);
                long xosiz = DicomBytes.u32(h, s + 14, true);
                long yosiz = DicomBytes.u32(h, s + 18, true);
                long xtsiz = DicomBytes.u32(h, s + 22, true);
                long ytsiz = DicomBytes.u32(h, s + 26, true);
                long xtosiz = DicomBytes.u32(h, s + 30, true);
                long ytosiz = DicomBytes.u32(h, s + 34, true);
                int csiz = DicomBytes.u16(h, s + 38, true);
                int ssiz = h[s + 40] & 0xFF;
                if (xsiz <= xosiz || ysiz <= yosiz || xtsiz == 0 || ytsiz == 0 || xtosiz > xosiz
                        || ytosiz > yosiz) {
                    throw UploadRejected.corrupt(part, "the first frame's JPEG 2000 size header is invalid");
                }
                long tiles = ceilDiv(xsiz - xtosiz, xtsiz) * ceilDiv(ysiz - ytosiz, ytsiz);
                if (tiles > MAX_TILES) {
                    throw UploadRejected.corrupt(part, "the first frame declares " + tiles + " JPEG 2000 tiles");
                }
                long width = xsiz - xosiz;
                long height = ysiz - yosiz;
                return new DicomCodestream((int) Math.min(width, Integer.MAX_VALUE),
                        (int) Math.min(height, Integer.MAX_VALUE), csiz, (ssiz & 0x7F) + 1, "jpeg2000");
            }
        }
        throw UploadRejected.corrupt(part, "the first frame has no JPEG 2000 codestream header");
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
