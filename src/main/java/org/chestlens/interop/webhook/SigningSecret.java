package org.chestlens.interop.webhook;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.EmptyWebhookSecretException;
import com.standardwebhooks.exceptions.WebhookSigningException;

/**
 * A subscription's signing secret in the Standard Webhooks form, {@code whsec_} + base64 of 24 to 64
 * random bytes. Signs with the Standard Webhooks library: {@code v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>}. {@link #toString()} never shows the secret, so it cannot leak into a log line.
 */
final class SigningSecret {

    static final String PREFIX = "whsec_";
    private static final int MIN_BYTES = 24;
    private static final int MAX_BYTES = 64;
    private static final int GENERATED_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String value;

    private SigningSecret(String value) {
        this.value = value;
    }

    static SigningSecret generate() {
        byte[] key = new byte[GENERATED_BYTES];
        RANDOM.nextBytes(key);
        return new SigningSecret(PREFIX + Base64.getEncoder().encodeToString(key));
    }

    /** The secret a client chose, if it has the Standard Webhooks form; empty otherwise. */
    static Optional<SigningSecret> parse(String value) {
        if (value == null || !value.startsWith(PREFIX)) {
            return Optional.empty();
        }
        try {
            int length = Base64.getDecoder().decode(value.substring(PREFIX.length())).length;
            return length >= MIN_BYTES && length <= MAX_BYTES ? Optional.of(new SigningSecret(value)) : Optional.empty();
        } catch (IllegalArgumentException notBase64) {
            return Optional.empty();
        }
    }

    /** As stored in the database; only for the database and the one answer that creates it. */
    static SigningSecret stored(String value) {
        return new SigningSecret(value);
    }

    String reveal() {
        return value;
    }

    /** The {@code webhook-signature} header value for one attempt. */
    String sign(String messageId, long timestampSeconds, String body) {
        try {
            return new Webhook(value).sign(messageId, timestampSeconds, body);
        } catch (WebhookSigningException | EmptyWebhookSecretException e) {
            // Neither happens with a secret that passed parse(): the key is 24+ bytes, HMAC-SHA256 is in every JDK.
            throw new IllegalStateException("Cannot sign: " + e.getClass().getSimpleName());
        }
    }

    @Override
    public String toString() {
        return PREFIX + "***";
    }

    static String requirement() {
        return "a Standard Webhooks secret: \"" + PREFIX + "\" followed by the base64 of " + MIN_BYTES + " to "
                + MAX_BYTES + " random bytes (omit it and the service generates one)";
    }
}
