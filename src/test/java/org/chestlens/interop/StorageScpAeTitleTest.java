package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** AE titles read from an A-ASSOCIATE-RQ reach the log and the audit trail: only what PS3.5 allows comes through. */
class StorageScpAeTitleTest {

    /** A PDU-like buffer with the 16-byte field at offset 4, padded with {@code pad}. */
    private static byte[] field(byte[] title, byte pad) {
        byte[] pdu = new byte[4 + 16 + 4];
        Arrays.fill(pdu, 4, 20, pad);
        System.arraycopy(title, 0, pdu, 4, title.length);
        return pdu;
    }

    private static String read(String title, byte pad) {
        return StorageScp.aeTitle(field(title.getBytes(StandardCharsets.ISO_8859_1), pad), 4);
    }

    @Test
    void paddingGoesAndWhatAnAeTitleMayNotHoldBecomesAQuestionMark() {
        assertThat(read("MODALITY_01", (byte) ' ')).isEqualTo("MODALITY_01");
        assertThat(read("MODALITY_01", (byte) 0)).as("NUL padding").isEqualTo("MODALITY_01");
        assertThat(read("A\r\nINFO forged", (byte) ' ')).isEqualTo("A??INFO forged");
        assertThat(read("CT\\SCANNER\u001b[2J", (byte) ' ')).isEqualTo("CT?SCANNER?[2J");
        assertThat(read("caf\u00e9", (byte) ' ')).isEqualTo("caf?");
    }
}
