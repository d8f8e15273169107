package org.chestlens.ingest;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Turns a DICOM Patient ID into HMAC-SHA256 with a server secret: images of one patient can be
 * grouped (cross-validation by patient, error analysis) while the ID itself is never stored, and
 * without the secret the hash cannot be matched against a list of known IDs.
 */
@Component
class PatientIdHasher {

    private static final Logger log = LoggerFactory.getLogger(PatientIdHasher.class);

    /** Patient IDs are easy to guess: with a short key, the key could be found from the stored hashes. */
    static final int MIN_KEY_LENGTH = 32;

    private final SecretKeySpec key;

    PatientIdHasher(IngestProperties properties) {
        byte[] secret;
        if (properties.patientIdKey() == null || properties.patientIdKey().isBlank()) {
            secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            log.warn("chestlens.ingest.patient-id-key is not set: using a random key for this run only. Patient "
                    + "ID hashes will not match across restarts or replicas. Set it from a secret store.");
        } else {
            secret = properties.patientIdKey().getBytes(StandardCharsets.UTF_8);
            if (properties.patientIdKey().length() < MIN_KEY_LENGTH) {
                // Not bean validation: its failure report would print the rejected value, i.e. the key.
                throw new IllegalStateException("chestlens.ingest.patient-id-key has " + properties.patientIdKey().length()
                        + " characters; it needs " + MIN_KEY_LENGTH + " or more (e.g. openssl rand -base64 48)");
            }
        }
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    String hash(String patientId) {
        if (patientId == null || patientId.isBlank()) {
            return null;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(patientId.trim().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
