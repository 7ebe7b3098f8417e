package io.wattflow.api.auth;

import io.wattflow.api.problem.ApiProblem;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/** Issuing and revoking bearer tokens (admin). A token is 256 random bits, shown once; only its SHA-256 is kept. */
public final class TokenService {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DataSource dataSource;
    private final TokenAuthenticator authenticator;

    public TokenService(DataSource dataSource, TokenAuthenticator authenticator) {
        this.dataSource = dataSource;
        this.authenticator = authenticator;
    }

    /** {@code POST /api/v1/tokens}. */
    public record IssueToken(String role, String customerId, String name) {
    }

    public Map<String, Object> issue(IssueToken request) {
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
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        UUID id = UUID.randomUUID();
        String name = request.name() == null ? role.name().toLowerCase(Locale.ROOT) + "-" + id : request.name();
        try (Connection connection = dataSource.getConnection(); PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO api_token (id, token_sha256, name, role, customer_id) VALUES (?, ?, ?, ?, ?)")) {
            insert.setObject(1, id);
            insert.setBytes(2, TokenAuthenticator.sha256(token));
            insert.setString(3, name);
            insert.setString(4, role.name().toLowerCase(Locale.ROOT));
            insert.setString(5, request.customerId());
            insert.executeUpdate();
        } catch (SQLException e) {
            if ("23503".equals(e.getSQLState())) {
                throw ApiProblem.invalidParameter("customerId '" + request.customerId() + "' is not a known customer");
            }
            if ("23505".equals(e.getSQLState())) {
                throw ApiProblem.conflict("a token named '" + name + "' exists already");
            }
            throw new IllegalStateException("issuing the token failed: " + e.getMessage(), e);
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", id.toString());
        view.put("name", name);
        view.put("role", role.name().toLowerCase(Locale.ROOT));
        view.put("customerId", request.customerId());
        view.put("token", token);
        return view;
    }

    public void revoke(String tokenId) {
        UUID id;
        try {
            id = UUID.fromString(tokenId);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.notFound("no token " + tokenId);
        }
        try (Connection connection = dataSource.getConnection(); PreparedStatement revoke = connection.prepareStatement(
                "UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = ?")) {
            revoke.setObject(1, id);
            if (revoke.executeUpdate() == 0) {
                throw ApiProblem.notFound("no token " + tokenId);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("revoking the token failed: " + e.getMessage(), e);
        }
        authenticator.forget();
    }
}
