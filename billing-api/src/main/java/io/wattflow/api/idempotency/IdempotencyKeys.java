package io.wattflow.api.idempotency;

import io.javalin.http.Context;
import io.wattflow.api.auth.TokenAuthenticator;
import io.wattflow.api.problem.ApiProblem;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * {@code Idempotency-Key} on mutating requests, scoped to the caller's token: a repeat with the same key and body gets
 * the original response; the same key with another body, or while the first request still runs, is a 409. Keys are
 * stored durably (so any instance answers the repeat) and expire after {@link #KEEP}; each instance purges expired keys
 * at most once a minute. Only successful answers (2xx) are kept: a request refused or failed releases its key, so it
 * can be sent again, corrected, with the same key. An answer that holds a secret (an issued token) is never stored: the
 * handler names what a repeat gets instead ({@link #replayWith}).
 */
public final class IdempotencyKeys {
    public static final String HEADER = "Idempotency-Key";
    public static final Duration KEEP = Duration.ofHours(24);
    private static final String CLAIMED = "wattflow.idempotency-claimed";
    private static final String REPLAY_BODY = "wattflow.idempotency-replay-body";
    private static final long PURGE_EVERY_NANOS = Duration.ofMinutes(1).toNanos();
    private final AtomicLong lastPurge = new AtomicLong(System.nanoTime() - PURGE_EVERY_NANOS);
    private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final DataSource dataSource;

    public IdempotencyKeys(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Before the handler: claims the key, or answers the repeat from the stored response. Returns true when the
     * request was answered here and the handler must not run.
     */
    public boolean before(Context ctx) {
        String key = ctx.header(HEADER);
        if (key == null || !MUTATING.contains(ctx.method().name())) {
            return false;
        }
        if (key.isBlank() || key.length() > 200) {
            throw ApiProblem.invalidParameter(HEADER + " must have 1 to 200 characters");
        }
        byte[] token = TokenAuthenticator.sha256(bearer(ctx));
        byte[] request = TokenAuthenticator.sha256(ctx.method().name() + " " + ctx.path() + "\n" + ctx.body());
        try (Connection connection = dataSource.getConnection()) {
            purgeExpired(connection);
            try (PreparedStatement expire = connection.prepareStatement(
                    "DELETE FROM idempotency_key WHERE token_sha256 = ? AND idempotency_key = ? AND expires_at < now()")) {
                expire.setBytes(1, token);
                expire.setString(2, key);
                expire.executeUpdate();
            }
            try (PreparedStatement claim = connection.prepareStatement("""
                    INSERT INTO idempotency_key (token_sha256, idempotency_key, request_sha256, state, expires_at)
                    VALUES (?, ?, ?, 'in_progress', now() + ?::interval) ON CONFLICT DO NOTHING
                    """)) {
                claim.setBytes(1, token);
                claim.setString(2, key);
                claim.setBytes(3, request);
                claim.setString(4, KEEP.toSeconds() + " seconds");
                if (claim.executeUpdate() == 1) {
                    ctx.attribute(CLAIMED, new byte[][] {token, key.getBytes(StandardCharsets.UTF_8)});
                    return false;
                }
            }
            try (PreparedStatement stored = connection.prepareStatement(
                    "SELECT request_sha256, state, response_status, response_body FROM idempotency_key WHERE token_sha256 = ? AND idempotency_key = ?")) {
                stored.setBytes(1, token);
                stored.setString(2, key);
                try (ResultSet rows = stored.executeQuery()) {
                    if (!rows.next()) {
                        throw ApiProblem.conflict("the " + HEADER + " " + key + " is being released; send the request again");
                    }
                    if (!Arrays.equals(rows.getBytes(1), request)) {
                        throw ApiProblem.conflict("the " + HEADER + " " + key + " was used for another request; use a new key");
                    }
                    if (rows.getString(2).equals("in_progress")) {
                        throw ApiProblem.conflict("the request with " + HEADER + " " + key + " is still running; try again later");
                    }
                    ctx.status(rows.getInt(3)).contentType("application/json")
                            .result(rows.getString(4)).header("Idempotent-Replayed", "true");
                    return true;
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("idempotency key store failed: " + e.getMessage(), e);
        }
    }

    /** What a repeat of this request answers instead of its response, which holds a secret; the status stays. */
    public static void replayWith(Context ctx, Object body) {
        ctx.attribute(REPLAY_BODY, ctx.jsonMapper().toJsonString(body, Object.class));
    }

    /** Deletes expired keys, at most once a minute per instance and 10,000 at a time. */
    private void purgeExpired(Connection connection) throws SQLException {
        long now = System.nanoTime();
        long last = lastPurge.get();
        if (now - last < PURGE_EVERY_NANOS || !lastPurge.compareAndSet(last, now)) {
            return;
        }
        try (PreparedStatement purge = connection.prepareStatement("""
                DELETE FROM idempotency_key WHERE ctid IN (SELECT ctid FROM idempotency_key WHERE expires_at < now() LIMIT 10000)
                """)) {
            purge.executeUpdate();
        }
    }

    /** After the handler: stores a successful response of a claimed key, or releases the key. */
    public void after(Context ctx) {
        byte[][] claimed = ctx.attribute(CLAIMED);
        if (claimed == null) {
            return;
        }
        String key = new String(claimed[1], StandardCharsets.UTF_8);
        try (Connection connection = dataSource.getConnection()) {
            if (ctx.statusCode() < 200 || ctx.statusCode() >= 300) {
                try (PreparedStatement release = connection.prepareStatement(
                        "DELETE FROM idempotency_key WHERE token_sha256 = ? AND idempotency_key = ?")) {
                    release.setBytes(1, claimed[0]);
                    release.setString(2, key);
                    release.executeUpdate();
                }
                return;
            }
            try (PreparedStatement done = connection.prepareStatement("""
                    UPDATE idempotency_key SET state = 'done', response_status = ?, response_body = ?
                     WHERE token_sha256 = ? AND idempotency_key = ?
                    """)) {
                done.setInt(1, ctx.statusCode());
                String replay = ctx.attribute(REPLAY_BODY);
                done.setString(2, replay != null ? replay : ctx.result() == null ? "" : ctx.result());
                done.setBytes(3, claimed[0]);
                done.setString(4, key);
                done.executeUpdate();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("idempotency key store failed: " + e.getMessage(), e);
        }
    }

    private static String bearer(Context ctx) {
        String header = ctx.header("Authorization");
        return header == null ? "" : header.substring(Math.min(7, header.length())).trim();
    }
}
