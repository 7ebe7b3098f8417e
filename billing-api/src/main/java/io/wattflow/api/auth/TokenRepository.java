package io.wattflow.api.auth;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** SQL of {@code api_token}, in one place. Tokens are stored as SHA-256 digests only. */
public final class TokenRepository {
    private final DataSource dataSource;

    public TokenRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A token that is not revoked: who it is, and until when it is valid (null: no expiry). */
    record Stored(Principal principal, Instant expiresAt) {
    }

    Optional<Stored> findUnrevoked(byte[] digest) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(
                "SELECT id, role, customer_id, expires_at FROM api_token WHERE token_sha256 = ? AND revoked_at IS NULL")) {
            statement.setBytes(1, digest);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                OffsetDateTime expiresAt = rows.getObject(4, OffsetDateTime.class);
                return Optional.of(new Stored(new Principal(rows.getObject(1, UUID.class), Role.valueOf(rows.getString(2).toUpperCase(Locale.ROOT)),
                        rows.getString(3)), expiresAt == null ? null : expiresAt.toInstant()));
            }
        }
    }

    /** @throws SQLException with state 23503 for an unknown customer, 23505 for a name in use */
    void insert(UUID id, byte[] digest, String name, Role role, String customerId, Instant expiresAt) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO api_token (id, token_sha256, name, role, customer_id, expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setObject(1, id);
            insert.setBytes(2, digest);
            insert.setString(3, name);
            insert.setString(4, role.name().toLowerCase(Locale.ROOT));
            insert.setString(5, customerId);
            insert.setObject(6, expiresAt == null ? null : expiresAt.atOffset(ZoneOffset.UTC));
            insert.executeUpdate();
        }
    }

    /** False when there is no such token; revoking twice keeps the first time. */
    boolean revoke(UUID id) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement revoke = connection.prepareStatement(
                "UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = ?")) {
            revoke.setObject(1, id);
            return revoke.executeUpdate() > 0;
        }
    }

    /** Stores the digest as the admin token 'bootstrap-admin', replacing an earlier one; nothing when it is stored already. */
    public void storeBootstrapAdmin(byte[] digest) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement replace = connection.prepareStatement("""
                     UPDATE api_token SET token_sha256 = ?, role = 'admin', customer_id = NULL, revoked_at = NULL
                      WHERE name = 'bootstrap-admin' AND token_sha256 <> ?
                     """);
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO api_token (token_sha256, name, role) VALUES (?, 'bootstrap-admin', 'admin') ON CONFLICT DO NOTHING")) {
            replace.setBytes(1, digest);
            replace.setBytes(2, digest);
            replace.executeUpdate();
            insert.setBytes(1, digest); // nothing to do when this token is stored already, under any name
            insert.executeUpdate();
        }
    }
}
