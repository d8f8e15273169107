package org.chestlens.platform;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

import org.springframework.http.HttpStatus;

/**
 * The position after the last row of a page ordered by creation time and id: stable under inserts,
 * unlike offsets, and opaque to clients, who pass back the {@code nextCursor} they were given.
 */
public record KeysetCursor(Instant createdAt, UUID id) {

    /** A page cut from rows fetched with {@code limit + 1}, and the cursor after its last row when more follow. */
    public record Slice<T>(List<T> items, String nextCursor) {
    }

    public static <T> Slice<T> slice(List<T> rowsUpToLimitPlusOne, int limit, Function<T, KeysetCursor> position) {
        if (rowsUpToLimitPlusOne.size() <= limit) {
            return new Slice<>(rowsUpToLimitPlusOne, null);
        }
        List<T> page = rowsUpToLimitPlusOne.subList(0, limit);
        return new Slice<>(page, position.apply(page.get(limit - 1)).encode());
    }

    public String encode() {
        String raw = createdAt.getEpochSecond() + ":" + createdAt.getNano() + ":" + id;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** @return null for a null cursor (the first page) */
    public static KeysetCursor decode(String cursor) {
        if (cursor == null) {
            return null;
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(":");
            return new KeysetCursor(Instant.ofEpochSecond(Long.parseLong(parts[0]), Long.parseLong(parts[1])),
                    UUID.fromString(parts[2]));
        } catch (RuntimeException e) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-cursor", "Invalid cursor",
                    "The cursor is not one this service issued.");
        }
    }
}
