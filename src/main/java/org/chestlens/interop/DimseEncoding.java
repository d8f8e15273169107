package org.chestlens.interop;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The few DICOM encodings the C-STORE receiver writes itself: the C-STORE response command (PixelMed's
 * has no Error Comment) and the Part 10 file meta information that turns a received data set into the
 * file an upload would have sent. Both are plain little-endian element lists.
 */
final class DimseEncoding {

    /** Identifies files this service wraps (PS3.10 7.1: Implementation Class UID), a 2.25 UUID-derived UID. */
    static final String IMPLEMENTATION_CLASS_UID = "2.25.176118245213725520232446245393866553145";
    private static final String IMPLEMENTATION_VERSION = "CHESTLENS";
    private static final int C_STORE_RSP = 0x8001;
    private static final int NO_DATA_SET = 0x0101;
    private static final int MAX_ERROR_COMMENT = 64;

    private DimseEncoding() {
    }

    /** A C-STORE-RSP command set in implicit VR little endian (as every command set is, PS3.7 6.3.1). */
    static byte[] cStoreResponse(String sopClassUid, String sopInstanceUid, int messageId, int status,
                                 String errorComment) {
        ByteArrayOutputStream elements = new ByteArrayOutputStream();
        implicit(elements, 0x00000002, uid(sopClassUid));
        implicit(elements, 0x00000100, us(C_STORE_RSP));
        implicit(elements, 0x00000120, us(messageId));
        implicit(elements, 0x00000800, us(NO_DATA_SET));
        implicit(elements, 0x00000900, us(status));
        if (errorComment != null && !errorComment.isEmpty() && status != DimseStatus.SUCCESS) {
            String comment = errorComment.length() > MAX_ERROR_COMMENT
                    ? errorComment.substring(0, MAX_ERROR_COMMENT) : errorComment;
            // LO: no backslash, no control characters, default repertoire
            implicit(elements, 0x00000902, text(comment.replaceAll("[^\\x20-\\x5B\\x5D-\\x7E]", "?"), (byte) ' '));
        }
        implicit(elements, 0x00001000, uid(sopInstanceUid));
        ByteArrayOutputStream command = new ByteArrayOutputStream();
        implicit(command, 0x00000000, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(elements.size()).array());
        command.writeBytes(elements.toByteArray());
        return command.toByteArray();
    }

    /**
     * A DICOM Part 10 file: preamble, "DICM", file meta information (explicit VR little endian) naming
     * the instance, the negotiated transfer syntax and the sender, then the data set exactly as received.
     */
    static byte[] part10(String sopClassUid, String sopInstanceUid, String transferSyntaxUid,
                         String sourceAeTitle, byte[] dataSet) {
        ByteArrayOutputStream meta = new ByteArrayOutputStream();
        explicitOb(meta, 0x00020001, new byte[] {0, 1});
        explicit(meta, 0x00020002, "UI", uid(sopClassUid));
        explicit(meta, 0x00020003, "UI", uid(sopInstanceUid));
        explicit(meta, 0x00020010, "UI", uid(transferSyntaxUid));
        explicit(meta, 0x00020012, "UI", uid(IMPLEMENTATION_CLASS_UID));
        explicit(meta, 0x00020013, "SH", text(IMPLEMENTATION_VERSION, (byte) ' '));
        if (sourceAeTitle != null && !sourceAeTitle.isBlank()) {
            explicit(meta, 0x00020016, "AE", text(sourceAeTitle.strip(), (byte) ' '));
        }
        ByteArrayOutputStream file = new ByteArrayOutputStream(132 + 12 + meta.size() + dataSet.length);
        file.writeBytes(new byte[128]);
        file.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        explicit(file, 0x00020000, "UL", ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(meta.size()).array());
        file.writeBytes(meta.toByteArray());
        file.writeBytes(dataSet);
        return file.toByteArray();
    }

    private static byte[] us(int value) {
        return new byte[] {(byte) value, (byte) (value >>> 8)};
    }

    private static byte[] uid(String uid) {
        return text(uid == null ? "" : uid.strip(), (byte) 0);
    }

    private static byte[] text(String value, byte pad) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length % 2 == 0) {
            return bytes;
        }
        byte[] padded = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        padded[bytes.length] = pad;
        return padded;
    }

    private static void tag(ByteArrayOutputStream out, int tag) {
        out.write(tag >>> 16);
        out.write(tag >>> 24);
        out.write(tag);
        out.write(tag >>> 8);
    }

    private static void implicit(ByteArrayOutputStream out, int tag, byte[] value) {
        tag(out, tag);
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value.length).array());
        out.writeBytes(value);
    }

    private static void explicit(ByteArrayOutputStream out, int tag, String vr, byte[] value) {
        tag(out, tag);
        out.writeBytes(vr.getBytes(StandardCharsets.US_ASCII));
        out.write(value.length);
        out.write(value.length >>> 8);
        out.writeBytes(value);
    }

    private static void explicitOb(ByteArrayOutputStream out, int tag, byte[] value) {
        tag(out, tag);
        out.writeBytes("OB".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(new byte[2]);
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value.length).array());
        out.writeBytes(value);
    }
}
