package io.wattflow.api.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Resolves a bearer token to its principal. Only SHA-256 digests are stored (table {@code api_token}).
 *
 * <ul>
 * <li>A token verified in PostgreSQL is trusted for {@link #VERIFIED_FOR} without asking again, so a busy client does not
 * cost a query per request; a revocation on any instance therefore takes effect everywhere within that time.</li>
 * <li>Fail closed: past that time the token is verified again, and while PostgreSQL is away it is refused (503), so a
 * token revoked just before an outage is not honoured through it. Its expiry is checked on every request.</li>
 * <li>Known and unknown tokens are remembered apart, each bounded: a flood of unknown tokens (each remembered 30 s, so
 * the database is asked once) never evicts the tokens of real clients.</li>
 * </ul>
 */
public final class TokenAuthenticator {
    public static final Duration VERIFIED_FOR = Duration.ofSeconds(30);

    private final TokenRepository tokens;
    private final Clock clock;
    private final Cache<String, Verified> known = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(VERIFIED_FOR).build();
    private final Cache<String, Boolean> unknown = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(VERIFIED_FOR).build();

    public TokenAuthenticator(TokenRepository tokens) {
        this(tokens, Clock.systemUTC());
    }

    TokenAuthenticator(TokenRepository tokens, Clock clock) {
        this.tokens = tokens;
        this.clock = clock;
    }

    /** A token found in the database: who it is, and until when it is valid (null: no expiry). */
    private record Verified(Principal principal, Instant expiresAt) {
        boolean expiredAt(Instant now) {
            return expiresAt != null && !now.isBefore(expiresAt);
        }
    }

    /**
     * The token's principal; empty when it is unknown, revoked or expired.
     *
     * @param beforeLookUp runs before the database is asked (a rate limit per client address may refuse there)
     * @throws IllegalStateException when the database must be asked and cannot answer
     */
    public Optional<Principal> principalOf(String token, Runnable beforeLookUp) {
        byte[] digest = sha256(token);
        String key = HexFormat.of().formatHex(digest);
        Verified verified = known.getIfPresent(key);
        if (verified != null) {
            return verified.expiredAt(clock.instant()) ? Optional.empty() : Optional.of(verified.principal());
        }
        if (unknown.getIfPresent(key) != null) {
            return Optional.empty();
        }
        beforeLookUp.run();
        Optional<Verified> found = lookUp(digest);
        if (found.isEmpty()) {
            unknown.put(key, Boolean.TRUE);
            return Optional.empty();
        }
        known.put(key, found.get());
        return found.get().expiredAt(clock.instant()) ? Optional.empty() : Optional.of(found.get().principal());
    }

    public Optional<Principal> principalOf(String token) {
        return principalOf(token, () -> {
        });
    }

    /** Forgets verified tokens, so a revocation on this instance takes effect here at once. */
    public void forget() {
        known.invalidateAll();
    }

    private Optional<Verified> lookUp(byte[] digest) {
        try {
            return tokens.findUnrevoked(digest).map(stored -> new Verified(stored.principal(), stored.expiresAt()));
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
