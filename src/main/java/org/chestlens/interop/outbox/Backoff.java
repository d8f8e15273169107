package org.chestlens.interop.outbox;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.random.RandomGenerator;

/** Retry timing and error text shared by the outboxes. */
public final class Backoff {

    private static final int MAX_ERROR_LENGTH = 300;

    private Backoff() {
    }

    /**
     * Exponential backoff with jitter: {@code base * 2^(attempt-1)}, capped at {@code max}, of which up to half
     * is taken off at random (so receivers that come back are not hit by every replica's retries at once).
     */
    public static Duration after(int attempt, Duration base, Duration max, RandomGenerator random) {
        double full = Math.min(max.toMillis(), base.toMillis() * Math.pow(2, Math.max(0, attempt - 1)));
        return Duration.ofMillis(Math.round(full * (0.5 + 0.5 * random.nextDouble())));
    }

    /** An attempt's failure for the attempt log: exception type and message, cut to 300 characters. */
    public static String describe(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String text = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return cut(text);
    }

    public static String cut(String text) {
        return text == null || text.length() <= MAX_ERROR_LENGTH ? text : text.substring(0, MAX_ERROR_LENGTH);
    }
}
