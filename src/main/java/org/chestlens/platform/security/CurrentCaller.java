package org.chestlens.platform.security;

import java.util.Optional;

import org.springframework.security.core.context.SecurityContextHolder;

/** The authenticated caller of the current request, for state that must be kept per caller. */
public final class CurrentCaller {

    private CurrentCaller() {
    }

    /**
     * A stable name of the caller ({@code api-key:mirth-radiology}, {@code user:<subject>}), e.g. to
     * scope a client-chosen Idempotency-Key so one caller can never receive another's images by
     * reusing (or guessing) its key.
     */
    public static String scope() {
        return Caller.of(SecurityContextHolder.getContext().getAuthentication()).bucketKey();
    }

    /**
     * The priority the caller's API key gives uploads that name none ({@code stat} or {@code routine}); empty for
     * a key without one and for people.
     */
    public static Optional<String> defaultPriority() {
        return Optional.ofNullable(Caller.of(SecurityContextHolder.getContext().getAuthentication()).defaultPriority());
    }
}
