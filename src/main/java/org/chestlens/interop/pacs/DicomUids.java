package org.chestlens.interop.pacs;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * UIDs derived from what they identify, so the same prediction always gives the same SR and Secondary
 * Capture (a PACS that receives an object twice keeps one). A name-based UUID (RFC 4122 version 3) of a
 * fixed text, written as one decimal integer under the 2.25 root (ITU-T X.667 / PS3.5 B.2): at most 44
 * characters, within the 64 a UID may have, and no organisation root needs registering.
 */
final class DicomUids {

    private DicomUids() {
    }

    static String of(String name) {
        UUID uuid = UUID.nameUUIDFromBytes(("chestlens:" + name).getBytes(StandardCharsets.UTF_8));
        byte[] bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
        return "2.25." + new BigInteger(1, bytes);
    }

    /** A UID of one role (e.g. "sr-series") of one prediction. */
    static String of(UUID predictionId, String role) {
        return of(predictionId + ":" + role);
    }
}
