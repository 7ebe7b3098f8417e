package io.wattflow.api.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Resolves a bearer token to its principal. Only SHA-256 digests are stored (table {@code api_token}); a lookup is
 * remembered briefly so a busy client does not cost a query per request, and a revocation takes effect within
 * {@link #CACHE_TIME}.
 */
public final class TokenAuthenticator {
    static final Duration CACHE_TIME = Duration.ofSeconds(30);
    private static final int MAX_CACHED = 10_000;

    private final DataSource dataSource;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public TokenAuthenticator(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    private record Cached(Optional<Principal> principal, long expiresAtNanos) {
    }

    public Optional<Principal> principalOf(String token) {
        byte[] digest = sha256(token);
        String cacheKey = HexFormat.of().formatHex(digest);
        Cached cached = cache.get(cacheKey);
        long now = System.nanoTime();
        if (cached != null && cached.expiresAtNanos() > now) {
            return cached.principal();
        }
        Optional<Principal> principal;
        try {
            principal = lookUp(digest);
        } catch (IllegalStateException databaseDown) {
            if (cached != null) {
                // While PostgreSQL is away a token known a moment ago stays valid, so cached reads can be served;
                // a revocation made during the outage takes effect when the database is back.
                return cached.principal();
            }
            throw databaseDown;
        }
        if (cache.size() >= MAX_CACHED) {
            cache.clear();
        }
        cache.put(cacheKey, new Cached(principal, now + CACHE_TIME.toNanos()));
        return principal;
    }

    /** Forgets cached lookups, so a revocation on this instance takes effect at once. */
    public void forget() {
        cache.clear();
    }

    private Optional<Principal> lookUp(byte[] digest) {
        String sql = "SELECT id, role, customer_id FROM api_token WHERE token_sha256 = ? AND revoked_at IS NULL";
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setBytes(1, digest);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next()
                        ? Optional.of(new Principal(rows.getObject(1, UUID.class), Role.valueOf(rows.getString(2).toUpperCase(Locale.ROOT)),
                                rows.getString(3)))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot look up the token: " + e.getMessage(), e);
        }
    }

    public static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
