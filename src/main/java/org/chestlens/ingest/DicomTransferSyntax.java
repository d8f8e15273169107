package org.chestlens.ingest;

import java.util.Arrays;
import java.util.Optional;

/**
 * The transfer syntaxes this service knows by name: how their data set is encoded, how their pixel
 * data is compressed, and whether the decoders on the class path read them bit-exactly. Unknown
 * UIDs are not walked at all: without knowing the encoding, no length in the file can be trusted.
 */
enum DicomTransferSyntax {

    IMPLICIT_VR_LITTLE_ENDIAN("1.2.840.10008.1.2", "Implicit VR Little Endian", Encoding.IMPLICIT_LE, true),
    EXPLICIT_VR_LITTLE_ENDIAN("1.2.840.10008.1.2.1", "Explicit VR Little Endian", Encoding.EXPLICIT_LE, true),
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian",
            Encoding.DEFLATED, true),
    EXPLICIT_VR_BIG_ENDIAN("1.2.840.10008.1.2.2", "Explicit VR Big Endian", Encoding.EXPLICIT_BE, true),
    JPEG_BASELINE("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", Encoding.JPEG, true),
    /** 8-bit frames by the JDK's reader; 12-bit frames by gdcm's IJG library through our shim (NativeCodecs). */
    JPEG_EXTENDED("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", Encoding.JPEG, true),
    /** Decoded by {@link LosslessJpeg}. */
    JPEG_LOSSLESS("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", Encoding.JPEG, true),
    JPEG_LOSSLESS_SV1("1.2.840.10008.1.2.4.70",
            "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
            Encoding.JPEG, true),
    /** Decoded by CharLS (Debian libcharls2) when it is installed. */
    JPEG_LS_LOSSLESS("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", Encoding.JPEG_LS, true),
    JPEG_LS_NEAR_LOSSLESS("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless)", Encoding.JPEG_LS, true),
    /** Decoded by OpenJPEG 2.5 (Debian libopenjp2-7) when it is installed. */
    JPEG_2000_LOSSLESS("1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)", Encoding.JPEG_2000, true),
    JPEG_2000("1.2.840.10008.1.2.4.91", "JPEG 2000", Encoding.JPEG_2000, true),
    JPEG_2000_PART2_LOSSLESS("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component (Lossless Only)",
            Encoding.OTHER_ENCAPSULATED, false),
    JPEG_2000_PART2("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component", Encoding.OTHER_ENCAPSULATED,
            false),
    /** Decoded by OpenJPEG 2.5 (Debian libopenjp2-7) when it is installed. */
    HTJ2K_LOSSLESS("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)", Encoding.HTJ2K, true),
    HTJ2K_LOSSLESS_RPCL("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)",
            Encoding.HTJ2K, true),
    HTJ2K("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000", Encoding.HTJ2K, true),
    RLE_LOSSLESS("1.2.840.10008.1.2.5", "RLE Lossless", Encoding.RLE, true);

    /** How the data set and the pixel data are stored. */
    enum Encoding {
        IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED, JPEG, JPEG_2000, RLE, JPEG_LS, HTJ2K, OTHER_ENCAPSULATED;

        boolean explicitVr() {
            return this != IMPLICIT_LE;
        }

        boolean bigEndian() {
            return this == EXPLICIT_BE;
        }

        boolean encapsulated() {
            return this == JPEG || this == JPEG_2000 || this == RLE || this == JPEG_LS || this == HTJ2K
                    || this == OTHER_ENCAPSULATED;
        }
    }

    private final String uid;
    private final String title;
    private final Encoding encoding;
    private final boolean decodable;

    DicomTransferSyntax(String uid, String title, Encoding encoding, boolean decodable) {
        this.uid = uid;
        this.title = title;
        this.encoding = encoding;
        this.decodable = decodable;
    }

    static Optional<DicomTransferSyntax> of(String uid) {
        return Arrays.stream(values()).filter(ts -> ts.uid.equals(uid)).findFirst();
    }

    String uid() {
        return uid;
    }

    String title() {
        return title;
    }

    Encoding encoding() {
        return encoding;
    }

    /** Whether frames of this syntax are decoded here: by Java codecs, or by a native library that loaded. */
    boolean decodable() {
        return decodable && missingLibrary() == null;
    }

    /** The Debian package whose native library this syntax needs and that did not load; null when none is missing. */
    String missingLibrary() {
        return switch (encoding) {
            case JPEG_LS -> NativeCodecs.charls().missingPackage();
            case JPEG_2000, HTJ2K -> NativeCodecs.openJpeg().missingPackage();
            default -> null;
        };
    }
}
