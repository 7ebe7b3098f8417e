package io.wattflow.api.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.wattflow.api.problem.ApiProblem;
import io.wattflow.api.problem.SupportedTimes;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Locale;
import java.util.UUID;

/**
 * Issuing and revoking bearer tokens (admin). A token is 256 random bits, shown once; only its SHA-256 is kept. Customer
 * tokens expire after {@link #CUSTOMER_TOKEN_LIFETIME} unless the admin names another time; other roles' tokens expire
 * when the admin says so.
 */
public final class TokenService {
    private static final SecureRandom RANDOM = new SecureRandom();
    public static final Duration CUSTOMER_TOKEN_LIFETIME = Duration.ofDays(90);

    private final TokenRepository tokens;
    private final TokenAuthenticator authenticator;

    public TokenService(TokenRepository tokens, TokenAuthenticator authenticator) {
        this.tokens = tokens;
        this.authenticator = authenticator;
    }

    /** {@code POST /api/v1/tokens}. */
    public record IssueToken(String role, String customerId, String name, String expiresAt) {
        public IssueToken(String role, String customerId, String name) {
            this(role, customerId, name, null);
        }
    }

    /**
     * {@code Token} in the OpenAPI document. {@code tokenShownOnce} appears only in an idempotent repeat, whose
     * {@code token} is null.
     */
    public record IssuedToken(String id, String name, String role, String customerId, String expiresAt, String token,
            @JsonInclude(JsonInclude.Include.NON_NULL) Boolean tokenShownOnce) {
    }

    public IssuedToken issue(IssueToken request) {
        Role role;
        try {
            role = Role.valueOf(String.valueOf(request.role()).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            role = null;
        }
        if (role == null || role == Role.ANYONE) {
            throw ApiProblem.invalidParameter("role must be admin, operator or customer; got '" + request.role() + "'");
        }
        if ((role == Role.CUSTOMER) != (request.customerId() != null)) {
            throw ApiProblem.invalidParameter("customerId is required for the customer role, and only for it");
        }
        if (request.name() != null && (request.name().isBlank() || request.name().length() > 100)) {
            throw ApiProblem.invalidParameter("name must have 1 to 100 characters");
        }
        Instant expiresAt = expiry(role, request.expiresAt());
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        UUID id = UUID.randomUUID();
        String name = request.name() == null ? role.name().toLowerCase(Locale.ROOT) + "-" + id : request.name();
        try {
            tokens.insert(id, TokenAuthenticator.sha256(token), name, role, request.customerId(), expiresAt);
        } catch (SQLException e) {
            if ("23503".equals(e.getSQLState())) {
                throw ApiProblem.invalidParameter("customerId '" + request.customerId() + "' is not a known customer");
            }
            if ("23505".equals(e.getSQLState())) {
                throw ApiProblem.conflict("a token named '" + name + "' exists already");
            }
            throw new IllegalStateException("issuing the token failed: " + e.getMessage(), e);
        }
        return new IssuedToken(id.toString(), name, role.name().toLowerCase(Locale.ROOT), request.customerId(),
                expiresAt == null ? null : expiresAt.toString(), token, null);
    }

    /**
     * What an idempotent repeat of the issue answers: everything but the token, which is shown once and never stored.
     * The token was issued; a client that lost it issues a new one (and may revoke this one by its id).
     */
    public static IssuedToken withoutSecret(IssuedToken issued) {
        return new IssuedToken(issued.id(), issued.name(), issued.role(), issued.customerId(), issued.expiresAt(), null, true);
    }

    private static Instant expiry(Role role, String requested) {
        if (requested == null) {
            return role == Role.CUSTOMER ? Instant.now().plus(CUSTOMER_TOKEN_LIFETIME).truncatedTo(ChronoUnit.SECONDS) : null;
        }
        Instant expiresAt;
        try {
            expiresAt = SupportedTimes.check("expiresAt", Instant.parse(requested));
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidParameter("expiresAt must be an ISO-8601 instant such as 2027-03-01T00:00:00Z; got '" + requested + "'");
        }
        if (!expiresAt.isAfter(Instant.now())) {
            throw ApiProblem.invalidParameter("expiresAt must lie in the future; got " + expiresAt);
        }
        return expiresAt;
    }

    public void revoke(UUID tokenId) {
        try {
            if (!tokens.revoke(tokenId)) {
                throw ApiProblem.notFound("no token " + tokenId);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("revoking the token failed: " + e.getMessage(), e);
        }
        authenticator.forget();
    }
}
