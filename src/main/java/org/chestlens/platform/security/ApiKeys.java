package org.chestlens.platform.security;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.platform.KeysetCursor;
import org.chestlens.platform.WhereClause;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * API keys of integration engines. A key is 32 random bytes; only its SHA-256 is stored (a slow
 * password hash buys nothing against a guess space of 2^256, and lookups stay one index probe), so a
 * key is shown once, at creation, and cannot be recovered afterwards.
 * <p>
 * A valid key, once looked up, is kept by its hash for {@code api-key-cache.ttl}, so a short database
 * outage does not lock integration engines out: it is looked up again on its first use after
 * {@code api-key-cache.refresh}, and only if that lookup cannot reach the database is the cached key
 * used, up to the TTL. Revocation therefore takes effect at once on the replica that revoked the key
 * and within the refresh interval (at most the TTL, while the database is away) on the others. Unknown
 * keys are never cached.
 */
@Component
class ApiKeys implements ApiKeyLookup {

    static final String KEY_PREFIX = "clk_";

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * A key as stored: never its secret. {@code defaultPriority} is the wire name ({@code stat}, {@code routine}) of
     * the priority its uploads get when they name none; null: routine.
     */
    record Key(UUID id, String name, String prefix, Set<Role> roles, Integer rateLimitPerMinute, Instant createdAt,
               String createdBy, Instant expiresAt, Instant revokedAt, String defaultPriority) {

        boolean usableAt(Instant now) {
            return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
        }
    }

    /** A key just created: the only time its secret exists outside the caller's hands. */
    record Created(Key key, String secret) {
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ApiKeys.class);

    private final JdbcClient jdbc;
    private final SecurityProperties.ApiKeyCache cacheSettings;
    /** By the key's hash (never the secret): the key and when it was read from the database. */
    private final Cache<ByteBuffer, Cached> cache;

    private record Cached(Key key, long readAtNanos) {
    }

    ApiKeys(JdbcClient jdbc, SecurityProperties properties) {
        this.jdbc = jdbc;
        this.cacheSettings = properties.apiKeyCache();
        this.cache = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(cacheSettings.ttl()).build();
    }

    Created create(String name, Set<Role> roles, Instant expiresAt, Integer rateLimitPerMinute, String createdBy) {
        return create(name, roles, expiresAt, rateLimitPerMinute, createdBy, null);
    }

    /** {@code defaultPriority}: {@code stat}, {@code routine} or null (routine). */
    Created create(String name, Set<Role> roles, Instant expiresAt, Integer rateLimitPerMinute, String createdBy,
                   String defaultPriority) {
        String secret = newSecret();
        UUID id = UUID.randomUUID();
        try {
            jdbc.sql("""
                            INSERT INTO api_key (id, name, key_hash, key_prefix, roles, rate_limit_per_minute, created_by,
                                                 expires_at, default_priority)
                            VALUES (:id, :name, :hash, :prefix, :roles, :rateLimit, :createdBy, :expiresAt,
                                    :defaultPriority)""")
                    .param("id", id).param("name", name).param("hash", hash(secret))
                    .param("prefix", displayPrefix(secret)).param("roles", roleArray(roles))
                    .param("rateLimit", rateLimitPerMinute).param("createdBy", createdBy)
                    .param("expiresAt", expiresAt == null ? null : Timestamp.from(expiresAt))
                    .param("defaultPriority", defaultPriority == null ? null
                            : defaultPriority.toUpperCase(java.util.Locale.ROOT))
                    .update();
        } catch (DuplicateKeyException e) {
            throw new KeyNameTaken(name);
        }
        return new Created(find(id).orElseThrow(), secret);
    }

    /**
     * Registers a key whose secret comes from configuration under a fixed name. A changed secret
     * replaces the stored one (rotation); a key an administrator revoked stays revoked.
     */
    @Transactional
    void register(String name, String secret, Set<Role> roles, String createdBy) {
        byte[] hash = hash(secret);
        Optional<byte[]> stored = jdbc.sql("SELECT key_hash FROM api_key WHERE name = :name FOR UPDATE")
                .param("name", name).query((rs, i) -> rs.getBytes(1)).optional();
        if (stored.isEmpty()) {
            jdbc.sql("""
                            INSERT INTO api_key (id, name, key_hash, key_prefix, roles, created_by)
                            VALUES (:id, :name, :hash, :prefix, :roles, :createdBy)""")
                    .param("id", UUID.randomUUID()).param("name", name).param("hash", hash)
                    .param("prefix", displayPrefix(secret)).param("roles", roleArray(roles))
                    .param("createdBy", createdBy)
                    .update();
        } else if (!Arrays.equals(stored.get(), hash)) {
            cache.invalidate(ByteBuffer.wrap(stored.get()));
            log.warn("API key '{}' replaced from configuration (rotation): the new secret is in force, an earlier "
                    + "revocation of this name is lifted", name);
            jdbc.sql("""
                            UPDATE api_key SET key_hash = :hash, key_prefix = :prefix, roles = :roles, revoked_at = NULL,
                                revoked_by = NULL
                            WHERE name = :name""")
                    .param("hash", hash).param("prefix", displayPrefix(secret)).param("roles", roleArray(roles))
                    .param("name", name)
                    .update();
        } else {
            jdbc.sql("UPDATE api_key SET roles = :roles WHERE name = :name")
                    .param("roles", roleArray(roles)).param("name", name).update();
        }
    }

    /** Oldest first; {@code limit + 1} rows so the caller knows whether another page follows. */
    List<Key> list(int limit, KeysetCursor after) {
        WhereClause where = WhereClause.all().after("(created_at, id) >", after);
        return jdbc.sql("SELECT * FROM api_key %s ORDER BY created_at, id LIMIT :limit".formatted(where))
                .params(where.params()).param("limit", limit + 1).query(ApiKeys::key).list();
    }

    Optional<Key> find(UUID id) {
        return jdbc.sql("SELECT * FROM api_key WHERE id = :id").param("id", id).query(ApiKeys::key).optional();
    }

    /** @return false when no such key exists; revoking twice is not an error */
    boolean revoke(UUID id, String revokedBy) {
        int found = jdbc.sql("""
                        UPDATE api_key SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, :by)
                        WHERE id = :id""")
                .param("by", revokedBy).param("id", id).update();
        cache.asMap().values().removeIf(cached -> cached.key().id().equals(id));
        return found > 0;
    }

    @Override
    public Optional<Key> validKey(String secret, Instant now) {
        if (secret == null || !secret.startsWith(KEY_PREFIX) || secret.length() > 200) {
            return Optional.empty();
        }
        byte[] hash = hash(secret);
        ByteBuffer cacheKey = ByteBuffer.wrap(hash);
        Cached cached = cache.getIfPresent(cacheKey);
        long age = cached == null ? Long.MAX_VALUE : System.nanoTime() - cached.readAtNanos();
        if (age < cacheSettings.refresh().toNanos()) {
            return Optional.of(cached.key()).filter(k -> k.usableAt(now));
        }
        Optional<Key> stored;
        try {
            stored = jdbc.sql("SELECT * FROM api_key WHERE key_hash = :hash").param("hash", hash)
                    .query(ApiKeys::key).optional();
        } catch (RuntimeException e) {
            if (cached != null && age < cacheSettings.ttl().toNanos() && DatabaseAvailability.isOutage(e)) {
                return Optional.of(cached.key()).filter(k -> k.usableAt(now));
            }
            throw e;
        }
        Optional<Key> valid = stored.filter(k -> k.usableAt(now));
        if (valid.isPresent()) {
            cache.put(cacheKey, new Cached(valid.get(), System.nanoTime()));
        } else {
            cache.invalidate(cacheKey);
        }
        return valid;
    }

    static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String displayPrefix(String secret) {
        return secret.substring(0, Math.min(secret.length(), KEY_PREFIX.length() + 6));
    }

    static byte[] hash(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String[] roleArray(Set<Role> roles) {
        return roles.stream().sorted().map(Role::wireName).toArray(String[]::new);
    }

    private static Key key(ResultSet rs, int row) throws SQLException {
        Array array = rs.getArray("roles");
        EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        for (String role : (String[]) array.getArray()) {
            Role.fromWireName(role).ifPresent(roles::add);
        }
        Integer limit = (Integer) rs.getObject("rate_limit_per_minute");
        return new Key(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("key_prefix"),
                Set.copyOf(roles), limit, instant(rs, "created_at"), rs.getString("created_by"),
                instant(rs, "expires_at"), instant(rs, "revoked_at"), rs.getString("default_priority") == null ? null
                        : rs.getString("default_priority").toLowerCase(java.util.Locale.ROOT));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp timestamp = rs.getTimestamp(column);
        return timestamp == null ? null : timestamp.toInstant();
    }

    static final class KeyNameTaken extends RuntimeException {
        KeyNameTaken(String name) {
            super("An API key named '" + name + "' exists already.");
        }
    }
}
