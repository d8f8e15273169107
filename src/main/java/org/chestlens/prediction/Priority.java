package org.chestlens.prediction;

import java.util.Locale;
import java.util.Optional;

/**
 * How urgently an image is to be scored. Stat work (an emergency department's film) is taken before routine work
 * (a PACS backfill), which still waits a bounded time at most.
 */
public enum Priority {
    ROUTINE, STAT;

    /** The wire name: {@code routine} or {@code stat}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The priority a wire name names, if any (case does not matter). */
    public static Optional<Priority> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "stat" -> Optional.of(STAT);
            case "routine" -> Optional.of(ROUTINE);
            default -> Optional.empty();
        };
    }
}
