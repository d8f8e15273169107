package org.chestlens.interop.pacs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.chestlens.prediction.PatientHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Seals the source header's patient module for the outbox row with AES-GCM under
 * {@code chestlens.pacs.patient-module-key}: a random 12-byte nonce, then the ciphertext with its 16-byte tag,
 * the row id as associated data (a sealed module copied into another row does not open). Without a key nothing
 * is sealed and the objects carry the empty module.
 */
@Component
class PatientModuleSeal {

    private static final Logger log = LoggerFactory.getLogger(PatientModuleSeal.class);
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKey key;
    private final SecureRandom random = new SecureRandom();

    PatientModuleSeal(PacsProperties properties) {
        this.key = key(properties.patientModuleKey());
    }

    private static SecretKey key(String configured) {
        if (configured == null || configured.isBlank()) {
            return null;
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(configured.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("chestlens.pacs.patient-module-key is not base64");
        }
        if (bytes.length != 16 && bytes.length != 24 && bytes.length != 32) {
            throw new IllegalStateException("chestlens.pacs.patient-module-key must be 16, 24 or 32 bytes (base64), "
                    + "not " + bytes.length);
        }
        return new SecretKeySpec(bytes, "AES");
    }

    boolean enabled() {
        return key != null;
    }

    /** The sealed module for row {@code rowId}; null without a key or without a module. */
    byte[] seal(PatientHeader patient, UUID rowId) {
        if (key == null || patient == null) {
            return null;
        }
        try {
            ByteArrayOutputStream plain = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(plain)) {
                for (String value : new String[] {patient.name(), patient.id(), patient.birthDate(), patient.sex()}) {
                    out.writeUTF(value == null ? "" : value);
                }
            }
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData(rowId));
            byte[] sealed = cipher.doFinal(plain.toByteArray());
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Cannot seal a patient module", e);
        }
    }

    /**
     * The module sealed for row {@code rowId}; empty when there is none, no key, or it does not open (another
     * key, a damaged or moved value): then the objects go with the empty module, which is said in the log by
     * row id only.
     */
    Optional<PatientModule> open(byte[] sealed, UUID rowId) {
        if (sealed == null || key == null) {
            return Optional.empty();
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
            cipher.updateAAD(associatedData(rowId));
            byte[] plain = cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain))) {
                return Optional.of(new PatientModule(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF()));
            }
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            log.warn("The sealed patient module of PACS delivery {} does not open ({}); sending the empty module",
                    rowId, e.getClass().getSimpleName());
            return Optional.empty();
        }
    }

    private static byte[] associatedData(UUID rowId) {
        return ByteBuffer.allocate(16).putLong(rowId.getMostSignificantBits())
                .putLong(rowId.getLeastSignificantBits()).array();
    }
}
