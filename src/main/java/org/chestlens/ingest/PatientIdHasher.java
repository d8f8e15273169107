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
